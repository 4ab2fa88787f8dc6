"""The thread: the plain order chat (代充 verification codes, questions) and, once a case opens,
the case's thread (the chat's earlier messages are shown with it). Messages are written once;
a correction is a new message. Staff may write internal notes buyer and merchant never see."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from kadun.cases import attachments, records, sla
from kadun.cases.errors import CaseNotAllowed, InvalidCaseInput
from kadun.cases.models import Case, CaseMessage, EvidenceRequest
from kadun.cases.states import OPEN, WITH_PLATFORM, CaseStatus, EvidenceRequestStatus, Party
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.core.throttle import throttle
from kadun.orders import services as orders

S = CaseStatus
MAX_BODY = 4000


def _body(text: str, *, has_images: bool) -> str:
    text = (text or "").strip()
    if not text and not has_images:
        raise InvalidCaseInput("message_empty", "消息内容不能为空。")
    if len(text) > MAX_BODY:
        raise InvalidCaseInput("message_too_long", f"消息不能超过{MAX_BODY}字。")
    if "\x00" in text:
        raise InvalidCaseInput("message_invalid", "消息包含无效字符。")
    return text


def message_post(*, order, party: str, author=None, body: str = "", images=None, internal: bool = False) -> CaseMessage:
    """A message on the order's thread by its buyer, its merchant or staff (the caller checked
    the role). It joins the order's open case if there is one. Internal notes are staff's only."""
    if internal and party != Party.STAFF:
        raise CaseNotAllowed()
    if party not in (Party.BUYER, Party.MERCHANT, Party.STAFF):
        raise CaseNotAllowed()
    checked = attachments.check(images)
    body = _body(body, has_images=bool(checked))
    who = f"user:{author.pk}" if getattr(author, "pk", None) else f"order:{order.pk}:{party}"
    throttle(group="case_message", key=who, rate=f"{settings.KADUN_CASE_MESSAGES_PER_HOUR}/h", message="消息发送过于频繁，请在 {minutes} 分钟后再试。")
    staged: list[str] = []
    try:
        with transaction.atomic():
            order = orders.order_lock(order.pk)
            case = Case.objects.select_related("order", "order__shop").filter(order=order, status__in=list(OPEN)).first()
            if case is None:
                message = _write(order, None, party=party, author=author, body=body, internal=internal)
                attachments.store(message, checked, staged=staged)
                return message
            return post_in(case, party=party, author=author, body=body, images=checked, staged=staged, internal=internal)
    except BaseException:
        attachments.discard(staged)
        raise


def _write(order, case, *, party, author, body, internal) -> CaseMessage:
    from kadun.cases import lures

    lure = bool(body) and not internal and party != Party.STAFF and lures.check(
        text=body, where="case_message" if case else "order_message", subject=f"case:{case.pk}" if case else f"order:{order.pk}",
        author=author, party=party, order=order,
    )
    message = CaseMessage.objects.create(
        order=order, case=case, author=author if getattr(author, "pk", None) else None, party=party, internal=internal,
        body=body, lure=lure, created_at=clock.now(),
    )
    evidence_log.record("cases.message", message)
    return message


def post_in(case: Case, *, party: str, author, body: str, images, staged: list[str], internal: bool = False, opening: bool = False) -> CaseMessage:
    """A message on an open case (in the caller's transaction, under the order's lock), and what
    it means for the case: the merchant's first reply starts negotiation; a reply hands the turn
    (and the deadline) to the other side; the side asked for evidence has answered; staff acting
    meets the first-response target."""
    message = _write(case.order, case, party=party, author=author, body=body, internal=internal)
    attachments.store(message, images, staged=staged)
    if opening or internal:
        return message
    now = clock.now()
    if party == Party.MERCHANT and case.merchant_first_response_at is None:
        Case.objects.filter(pk=case.pk, merchant_first_response_at__isnull=True).update(merchant_first_response_at=now)
        case.merchant_first_response_at = now
        records.event(case, "merchant_first_response", Party.MERCHANT, "商家首次回复", actor=author,
                      seconds=int((now - case.opened_at).total_seconds()))
    if party == Party.STAFF and case.status in WITH_PLATFORM:
        _staff_responded(case, now)
    _answer_evidence(case, party)
    if case.status == S.AWAITING_MERCHANT and party == Party.MERCHANT:
        records.move(case, frm=S.AWAITING_MERCHANT, to=S.NEGOTIATING)
        records.event(case, "negotiating", Party.MERCHANT, "商家已回复，进入协商", actor=author)
    if case.status == S.NEGOTIATING:
        _hand_turn(case, party)
    return message


def _staff_responded(case: Case, now: dt.datetime) -> None:
    if case.staff_first_response_at is None:
        Case.objects.filter(pk=case.pk, staff_first_response_at__isnull=True).update(staff_first_response_at=now)
        case.staff_first_response_at = now
    sla.clocks_meet(case, "first_response")


def _hand_turn(case: Case, party: str) -> None:
    """In negotiation the side that spoke hands the turn to the other, with its deadline — unless
    an offer is open: then the buyer must answer the offer (its own deadline stands)."""
    if case.offers.filter(status="open").exists():
        return
    now = clock.now()
    rules = records.rules(case)
    if party == Party.MERCHANT:
        records.wait_for(case, party=Party.BUYER, kind=records.KIND_FOLLOWUP, at=now + dt.timedelta(hours=rules["buyer_followup_hours"]))
        records.tell(case, Party.BUYER, "商家已回复", f"请在 {rules['buyer_followup_hours']} 小时内回应或申请平台介入，逾期将按商家意见结案。")
    elif party == Party.BUYER:
        records.wait_for(case, party=Party.MERCHANT, kind=records.KIND_MERCHANT, at=now + dt.timedelta(hours=rules["merchant_reply_hours"]))
        records.tell(case, Party.MERCHANT, "买家已回复", f"请在 {rules['merchant_reply_hours']} 小时内回复，逾期将自动转平台介入。")


def _answer_evidence(case: Case, party: str) -> None:
    """A message (text or pictures) from a side asked for evidence answers its open requests."""
    if party not in (Party.BUYER, Party.MERCHANT):
        return
    answered = EvidenceRequest.objects.filter(case=case, party=party, status=EvidenceRequestStatus.OPEN).update(
        status=EvidenceRequestStatus.ANSWERED, answered_at=clock.now()
    )
    if answered:
        records.event(case, "evidence_answered", party, ("买家" if party == Party.BUYER else "商家") + "已提交补充证据")
        from kadun.cases import review

        review.after_evidence(case)
