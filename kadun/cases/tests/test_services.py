"""Opening, escalating, replacing and withdrawing cases through the services: what the buyer and
merchant get, to the 分, and what is refused (with nothing changed)."""
from __future__ import annotations

import datetime as dt

import pytest

from kadun.aftersales.errors import CaseOpenOnOrder, EscalateInstead
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import refund_request_create, refund_request_respond
from kadun.backoffice.selectors import platform_check
from kadun.cases import draft, negotiation, review, selectors, services, thread
from kadun.cases.errors import InvalidCaseInput
from kadun.cases.models import Case, CaseMessage
from kadun.cases.states import CaseStatus, Outcome, Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.merchants.models import Breach
from kadun.orders.models import Order
from kadun.orders.services import order_confirm

pytestmark = pytest.mark.django_db
S = CaseStatus


def _rejected(order):
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer)
    request = refund_request_create(order=order, reason="not_as_described", key_ids=[key.pk], statement="与描述不符")
    return refund_request_respond(request=request, shop=order.shop, action="reject", note="卡密与描述一致，已核实可用")


def test_a_rejected_refund_request_escalates_to_the_platform_with_the_merchants_reasons():
    order = delivered_order()
    request = _rejected(order)
    case = services.case_escalate_request(order=order, request_no=request.request_no, statement="商家拒绝无理，申请平台介入", author=order.buyer)
    assert case.status == S.PLATFORM_REVIEW and case.refund_request_id == request.pk and case.key_ids == request.key_ids
    assert "卡密与描述一致" in draft.statement_draft(order=order, kind=case.kind, refund_request=request)
    assert Order.objects.get(pk=order.pk).refund_hold


def test_a_repeat_refund_request_after_a_rejection_is_refused_and_the_merchants_clock_not_restarted():
    order = delivered_order()
    request = _rejected(order)
    with pytest.raises(EscalateInstead):
        refund_request_create(order=order, reason="not_as_described", key_ids=request.key_ids, statement="再申请一次")
    assert RefundRequest.objects.filter(order=order).count() == 1


def test_no_refund_request_while_a_case_is_open():
    order = delivered_order()
    services.case_open(order=order, kind="inquiry", statement="请问这张卡在哪里兑换", author=order.buyer)
    with pytest.raises(CaseOpenOnOrder):
        refund_request_create(order=order, reason="unrevealed", statement="不想要了")
    assert RefundRequest.objects.filter(order=order).count() == 0


def test_the_drafted_statement_cites_the_order_and_the_frozen_clause():
    order = delivered_order()
    text = draft.statement_draft(order=order, kind="key_problem", remedy="full_refund")
    assert order.order_no in text and "依据退款规则第" in text and text.endswith("申请全额退款。")


def test_a_case_opened_after_confirmation_holds_settlement_until_it_closes():
    order = delivered_order(price=1000)
    order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    case = services.case_open(order=Order.objects.get(pk=order.pk), kind="refund_dispute", statement="确认后发现卡密不可用", remedy="full_refund")
    later(hours=73)  # the settlement delay passes
    order.refresh_from_db()
    assert order.settled_at is None and balance_of(codes.merchant_available(order.shop_id)) == 0
    services.case_withdraw(case=Case.objects.get(pk=case.pk), author=order.buyer)
    later(seconds=1)
    order.refresh_from_db()
    assert order.settled_at is not None and balance_of(codes.merchant_available(order.shop_id)) == 980
    assert platform_check().problems == []


def test_a_case_is_refused_after_the_after_sales_window_and_nothing_is_written():
    order = delivered_order()
    order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    clock.advance(dt.timedelta(days=16))
    with pytest.raises(InvalidCaseInput) as refused:
        services.case_open(order=Order.objects.get(pk=order.pk), kind="refund_dispute", statement="很久以后才发现问题", remedy="full_refund")
    assert refused.value.code == "case_window_over" and not Case.objects.exists()


def test_a_refunded_order_takes_only_a_complaint():
    order = delivered_order()
    refund_request_create(order=order, reason="unrevealed", statement="不想要了")
    order.refresh_from_db()
    assert order.status == "refunded"
    with pytest.raises(InvalidCaseInput):
        services.case_open(order=order, kind="refund_dispute", statement="再退一次", remedy="full_refund")
    case = services.case_open(order=order, kind="complaint", statement="商家态度恶劣，辱骂买家")
    assert case.status == S.PLATFORM_REVIEW


def test_a_replacement_from_stock_closes_the_case_with_a_new_key():
    order = delivered_order()
    old = CardKey.objects.get(order=order)
    case = services.case_open(order=order, kind="key_problem", statement="卡密无效，申请补发", remedy="replacement")
    offer = negotiation.offer_make(case=case, remedy="replacement", hours=4, author=order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=order.buyer)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.REPLACED)
    active = CardKey.objects.filter(order=order, status="sold")
    assert active.count() == 1 and active.get().pk != old.pk
    assert balance_of(codes.escrow(order.pk)) == 1000  # no money moved


def test_a_promised_replacement_not_kept_is_refunded_in_full_and_recorded_as_a_breach():
    order = delivered_order(price=1500, keys=1)  # the one key was sold: no stock left to replace it
    case = services.case_open(order=order, kind="key_problem", statement="卡密无效，申请补发", remedy="replacement")
    offer = negotiation.offer_make(case=case, remedy="replacement", hours=4, author=order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=order.buyer)
    assert Case.objects.get(pk=case.pk).status == S.AWAITING_REPLACEMENT
    later(hours=4, seconds=1)
    case.refresh_from_db()
    assert (case.status, case.outcome, case.fault, case.amount_refunded) == (S.CLOSED, Outcome.REFUNDED, "merchant", 1500)
    assert Breach.objects.filter(shop=order.shop, kind="replacement_promise_broken").count() == 1
    assert platform_check().problems == []


def test_a_decision_never_refunds_beyond_what_the_order_still_holds():
    order = delivered_order(price=1000)
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    offer = negotiation.offer_make(case=case, remedy="partial_refund", amount=400, author=order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=order.buyer)
    second = services.case_open(order=Order.objects.get(pk=order.pk), kind="service_dispute", statement="剩余部分仍有问题，申请退款",
                                remedy="full_refund")
    assert second.amount_claimed == 600
    later(hours=48, seconds=1)
    review.case_decide(case=Case.objects.get(pk=second.pk), arbitrator=staff("arbitrator"), remedy="full_refund", fault="merchant",
                       reasons="商家未能证明商品与描述一致", clauses=[1])
    later(days=3, seconds=1)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 1000)
    assert platform_check().problems == []


def test_internal_notes_are_in_the_staff_thread_only():
    order = delivered_order()
    case = services.case_open(order=order, kind="complaint", statement="商家态度恶劣，辱骂买家")
    support = staff("support")
    thread.message_post(order=order, party=Party.STAFF, author=support, body="内部：该商家本月第三次被投诉", internal=True)
    thread.message_post(order=order, party=Party.STAFF, author=support, body="您好，平台已介入")
    for role in ("buyer", "merchant"):
        bodies = [m.body for m in selectors.thread(order, role=role)]
        assert "内部：该商家本月第三次被投诉" not in bodies and "您好，平台已介入" in bodies
    staff_view = selectors.thread(order, role="staff")
    assert [m.no for m in staff_view] == [1, None, 2]
    assert case.events.filter(kind="closed").count() == 0


def test_only_staff_may_write_an_internal_note():
    from kadun.cases.errors import CaseNotAllowed

    order = delivered_order()
    with pytest.raises(CaseNotAllowed):
        thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="内部备注", internal=True)
    assert not CaseMessage.objects.exists()


def test_messages_are_written_once():
    order = delivered_order()
    message = thread.message_post(order=order, party=Party.BUYER, author=order.buyer, body="验证码 123456")
    message.body = "改过的内容"
    with pytest.raises(RuntimeError):
        message.save()
    with pytest.raises(RuntimeError):
        message.delete()
    assert CaseMessage.objects.get(pk=message.pk).body == "验证码 123456"


def test_the_order_chat_becomes_the_case_thread():
    order = delivered_order()
    thread.message_post(order=order, party=Party.BUYER, author=order.buyer, body="请问多久到账")
    case = services.case_open(order=order, kind="service_dispute", statement="一直没有到账，申请退款", remedy="full_refund")
    thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="正在处理")
    bodies = [m.body for m in selectors.thread(order, role="buyer")]
    assert bodies == ["请问多久到账", "一直没有到账，申请退款", "正在处理"]
    assert CaseMessage.objects.filter(case=case).count() == 2


def test_a_withdrawn_case_releases_the_hold_and_auto_confirm_fires():
    order = delivered_order()
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    later(hours=25)
    services.case_withdraw(case=Case.objects.get(pk=case.pk), author=order.buyer)
    later(seconds=1)
    assert Order.objects.get(pk=order.pk).status == "confirmed"


def test_a_service_refunded_by_its_deadline_closes_the_open_case():
    from conftest import buy, make_product, make_user, pay
    from kadun.orders.services import order_accept

    product = make_product(delivery="manual", price=2000)
    order, _token, _url = buy(product, buyer=make_user(), buyer_inputs={"account": "player-1"})
    order = pay(order)
    order_accept(order=order, shop=product.shop)
    case = services.case_open(order=Order.objects.get(pk=order.pk), kind="service_dispute", statement="代充一直没有完成，申请退款",
                              remedy="full_refund")
    later(hours=25)  # the frozen delivery deadline (24 h) passes: refunded in full by rule
    order.refresh_from_db()
    case.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 2000)
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.ORDER_REFUNDED)
    assert platform_check().problems == []


def test_an_off_platform_lure_in_a_message_is_flagged_with_its_author_and_marked():
    from kadun.risk.models import LureFlag

    order = delivered_order()
    message = thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="加我vx: kadun_shop88 私下转账更便宜")
    assert message.lure
    flag = LureFlag.objects.get()
    assert (flag.author_id, flag.author_role, flag.where, flag.subject) == (order.shop.owner_id, "merchant", "order_message", f"order:{order.pk}")
    assert "kadun_shop88" in flag.text


def test_an_ordinary_message_is_not_a_lure():
    from kadun.risk.models import LureFlag

    order = delivered_order()
    message = thread.message_post(order=order, party=Party.BUYER, author=order.buyer, body=f"订单号 {order.order_no}，卡密显示已使用，金额10元")
    assert not message.lure and not LureFlag.objects.exists()


def test_a_repeated_lure_in_case_messages_is_a_recorded_violation():
    order = delivered_order()
    services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    for text in ("加我QQ 12345678 私聊", "微信 kadun_shop88，线下交易"):
        thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body=text)
    assert Breach.objects.filter(shop=order.shop, kind="off_platform_lure").count() == 1


def test_a_money_case_waits_for_an_open_refund_request():
    from kadun.cases.errors import CaseAlreadyOpen

    order = delivered_order()
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer)
    refund_request_create(order=order, reason="not_as_described", key_ids=[key.pk], statement="与描述不符")
    with pytest.raises(CaseAlreadyOpen) as refused:
        services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    assert refused.value.code == "refund_request_open" and not Case.objects.exists()


def test_a_refund_request_escalates_once():
    order = delivered_order()
    request = _rejected(order)
    case = services.case_escalate_request(order=order, request_no=request.request_no, statement="商家拒绝无理，申请平台介入")
    services.case_withdraw(case=case)
    with pytest.raises(InvalidCaseInput) as refused:
        services.case_escalate_request(order=order, request_no=request.request_no, statement="再次申请平台介入")
    assert refused.value.code == "already_escalated" and Case.objects.count() == 1


def test_the_party_expected_to_act_is_told_by_site_message_and_e_mail():
    from django.core import mail

    from kadun.notifications.models import Message
    from kadun.notifications.services import outbox_deliver_all

    order = delivered_order()
    order.shop.owner.email = "shop@example.com"
    order.shop.owner.save(update_fields=["email"])
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    message = Message.objects.get(user=order.shop.owner, title__contains=case.case_no)
    assert message.link == f"/merchant/cases/{case.case_no}/" and "24 小时内回复" in message.body
    outbox_deliver_all()
    sent = [m for m in mail.outbox if m.to == ["shop@example.com"]]
    assert len(sent) == 1 and f"/merchant/cases/{case.case_no}/" in sent[0].body


def test_a_guest_buyer_with_an_e_mail_contact_is_told_of_an_offer_without_an_access_link():
    from django.core import mail

    from conftest import buy, make_product, pay
    from kadun.notifications.services import outbox_deliver_all

    product = make_product(keys=2, price=1000)
    order = pay(buy(product, contact="guest-buyer@example.com")[0])
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    negotiation.offer_make(case=case, remedy="full_refund", author=order.shop.owner)
    outbox_deliver_all()
    sent = [m for m in mail.outbox if m.to == ["guest-buyer@example.com"] and case.case_no in m.subject]
    assert len(sent) == 1 and "/orders/lookup/" in sent[0].body and "token" not in sent[0].body.lower()
