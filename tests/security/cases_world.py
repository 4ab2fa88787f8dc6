"""The after-sales cases of the security world (``tests.security.World``): shop A's orders of the
buyer (and of a guest) with one case in each stage an endpoint acts on, so that every case
endpoint and page has a request that its one rightful caller gets through.

No clock is moved: every stage is reached by the parties' own actions (a merchant reply starts
negotiation, asking the platform takes it there), so the world stays valid whatever each test's
clock says.
"""
from __future__ import annotations

from dataclasses import dataclass

NOTE = "内部备注-矩阵-勿外泄-7F3A"  # an internal note's text: never in a buyer's or merchant's answer
NOTE_PUBLIC = "平台消息-矩阵"
STATEMENT = "卡密提示已被使用，无法充值"
REASONS = "卡密在首次查看前已被使用，验货记录为证"


@dataclass
class CaseWorld:
    bare_order: object = None  # the buyer's delivered order, no case: opening one
    guest_bare_order: object = None  # a guest's, no case
    guest_bare_token: str = ""
    waiting: object = None  # awaiting_merchant (key_problem): messages, withdraw, offers
    waiting_order: object = None
    guest_case: object = None  # a guest's case, awaiting_merchant
    guest_case_token: str = ""
    offered: object = None  # negotiating, an offer open (refund_dispute): accept, reject
    offer_id: int = 0
    talking: object = None  # negotiating, no offer: ask the platform
    reviewing: object = None  # platform_review (key_problem): assign, notes, messages, evidence, decide
    inquiry: object = None  # platform_review inquiry: resolve
    decided: object = None  # decided, rejected: the buyer appeals or waives
    appealed: object = None  # appealed by the merchant: another arbitrator decides
    replacing: object = None  # awaiting_replacement (a service): the merchant fulfils
    rejected_request: object = None  # a refund request the merchant rejected: escalate
    public_attachment: int = 0  # an image on the buyer's message of ``waiting``
    note_attachment: int = 0  # an image on an internal note of ``waiting``
    first_arbitrator: object = None  # decided ``decided`` and ``appealed``; not one of the callers


def _png(name: str = "shot.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.security import PNG

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _order(w, *, buyer=None, product=None, guest: bool = False):
    from conftest import buy, pay

    if guest:
        order, token, _ = buy(product or w.auto, contact="guest-case@example.com", query_password="chaxun123")
        return pay(order), token
    extra = {"buyer_inputs": {"account": "player-case"}} if product is not None and product.delivery == "manual" else {}
    order, _token, _ = buy(product or w.auto, buyer=buyer or w.buyer, **extra)
    return pay(order), ""


def _serviced(w):
    from kadun.orders.services import order_accept, order_deliver

    order, _ = _order(w, product=w.manual_cases)
    order_accept(order=order, shop=w.shop_a)
    order_deliver(order=order, shop=w.shop_a, note="已完成代充")
    order.refresh_from_db()
    return order


def _to_platform(w, case):
    from kadun.cases import services, thread

    thread.message_post(order=case.order, party="merchant", author=w.merchant, body="卡密出库时有效")
    return services.case_ask_platform(case=case, party="buyer", author=w.buyer)


def build_cases(w) -> CaseWorld:
    from conftest import make_product, make_user
    from kadun.aftersales.services import refund_request_create, refund_request_respond
    from kadun.cases import negotiation, review, services, thread
    from kadun.cases.models import Case, CaseAttachment
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal

    c = CaseWorld()
    w.cases_product = make_product(w.shop_a, keys=20, price=1000, title="矩阵工单商品")
    w.manual_cases = make_product(w.shop_a, delivery="manual", price=3000, title="矩阵工单代充")
    c.first_arbitrator = make_user("matrix_first_arbitrator", staff_role="arbitrator")

    def opened(kind="key_problem", order=None, **kw):
        order = order or _order(w, product=w.cases_product)[0]
        return services.case_open(order=order, kind=kind, statement=kw.pop("statement", STATEMENT), author=order.buyer, **kw)

    c.bare_order, _ = _order(w, product=w.cases_product)
    c.guest_bare_order, c.guest_bare_token = _order(w, product=w.cases_product, guest=True)

    c.waiting = opened(images=[_png()])
    c.waiting_order = c.waiting.order
    thread.message_post(order=c.waiting_order, party="staff", author=w.staff["support"], body=NOTE, images=[_png("note.png")], internal=True)
    c.public_attachment = CaseAttachment.objects.get(message__order=c.waiting_order, message__internal=False).pk
    c.note_attachment = CaseAttachment.objects.get(message__order=c.waiting_order, message__internal=True).pk

    guest_order, c.guest_case_token = _order(w, product=w.cases_product, guest=True)
    c.guest_case = services.case_open(order=guest_order, kind="key_problem", statement=STATEMENT)

    c.offered = opened(kind="refund_dispute", statement="与描述不符，协商退款")
    c.offer_id = negotiation.offer_make(case=c.offered, remedy="partial_refund", amount=300, author=w.merchant).pk

    c.talking = opened()
    thread.message_post(order=c.talking.order, party="merchant", author=w.merchant, body="请提供截图")

    c.reviewing = _to_platform(w, opened())
    thread.message_post(order=c.reviewing.order, party="staff", author=w.staff["support"], body=NOTE, internal=True)
    c.inquiry = opened(kind="inquiry", statement="请问这个卡在哪个区可以用？")

    c.decided = _to_platform(w, opened())
    review.case_decide(case=c.decided, arbitrator=c.first_arbitrator, remedy="rejected", fault="buyer", reasons=REASONS, clauses=[1])

    c.appealed = _to_platform(w, opened())
    review.case_decide(case=c.appealed, arbitrator=c.first_arbitrator, remedy="full_refund", fault="merchant", reasons=REASONS, clauses=[1])
    review.case_appeal(case=Case.objects.get(pk=c.appealed.pk), party="merchant", statement="买家查看后才反馈，卡密出库时有效", author=w.merchant)

    replacing = opened(kind="service_dispute", order=_serviced(w), statement="代充未到账，请重新代充")
    offer = negotiation.offer_make(case=replacing, remedy="replacement", hours=6, author=w.merchant)
    negotiation.offer_accept(case=replacing, offer_id=offer.pk, author=w.buyer)
    c.replacing = replacing

    order, _ = _order(w, product=w.cases_product)
    key_id = CardKey.objects.get(order=order).pk
    key_reveal(order=order, key_id=key_id, actor="buyer", user=w.buyer, ip="127.0.0.1")
    request = refund_request_create(order=order, reason="invalid_key", statement="提示已被使用", key_ids=[key_id], images=[_png()])
    refund_request_respond(request=request, shop=w.shop_a, action="reject", note="卡密出库时有效，请检查充值区服")
    c.rejected_request = request

    for name in ("waiting", "guest_case", "offered", "talking", "reviewing", "inquiry", "decided", "appealed", "replacing"):
        setattr(c, name, Case.objects.select_related("order").get(pk=getattr(c, name).pk))
    expected = {"waiting": "awaiting_merchant", "offered": "negotiating", "talking": "negotiating", "reviewing": "platform_review",
                "inquiry": "platform_review", "decided": "decided", "appealed": "appealed", "replacing": "awaiting_replacement"}
    assert {k: getattr(c, k).status for k in expected} == expected
    return c


def case_state() -> dict:
    """What a refused request must leave as it was: the cases, their threads, offers, evidence
    requests, decisions, events, and the money."""
    from kadun.cases.models import Case, CaseAttachment, CaseDecision, CaseEvent, CaseMessage, CaseOffer, EvidenceRequest
    from kadun.ledger.models import JournalEntry
    from kadun.notifications.models import Message
    from kadun.orders.models import Order
    from kadun.payments.models import Refund

    return {
        "cases": list(Case.objects.order_by("id").values_list("id", "status", "assignee_id", "outcome", "fault", "amount_refunded")),
        "messages": CaseMessage.objects.count(),
        "attachments": CaseAttachment.objects.count(),
        "offers": list(CaseOffer.objects.order_by("id").values_list("id", "status")),
        "evidence_requests": EvidenceRequest.objects.count(),
        "decisions": CaseDecision.objects.count(),
        "events": CaseEvent.objects.count(),
        "refunds": list(Refund.objects.order_by("id").values_list("id", "amount")),
        "journal_entries": JournalEntry.objects.count(),
        "orders": list(Order.objects.order_by("id").values_list("id", "status", "refunded_amount")),
        "inbox": Message.objects.count(),
    }
