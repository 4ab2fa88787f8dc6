"""Each stage's deadline fires its written default outcome (the clock moved, the sweeper run),
and the money moves exactly as the outcome says — to the 分, with ledger-check clean."""
from __future__ import annotations

import pytest

from kadun.backoffice.selectors import platform_check
from kadun.cases import negotiation, review, services, thread
from kadun.cases.models import Case, CaseOffer
from kadun.cases.states import CaseStatus, OfferStatus, Outcome, Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.orders.errors import NotConfirmable
from kadun.orders.models import Order
from kadun.orders.services import order_confirm

pytestmark = pytest.mark.django_db
S = CaseStatus


def _open(order, **kw):
    kw.setdefault("kind", "key_problem")
    kw.setdefault("statement", "卡密提示已被使用，无法充值")
    kw.setdefault("remedy", "full_refund")
    return services.case_open(order=order, author=order.buyer, **kw)


def _clean():
    report = platform_check()
    assert report.ok, report.problems


def test_an_open_case_holds_the_money_confirmation_is_refused():
    order = delivered_order()
    _open(order)
    with pytest.raises(NotConfirmable):
        order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_an_open_case_holds_the_order_past_its_inspection_window():
    order = delivered_order()
    _open(order)
    later(hours=25)  # the auto-confirm deadline passes (24 h window); the merchant's 48 h has not
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_a_silent_merchant_escalates_to_the_platform_at_48_hours():
    order = delivered_order()
    case = _open(order)
    later(hours=47)
    assert Case.objects.get(pk=case.pk).status == S.AWAITING_MERCHANT
    later(hours=1, seconds=1)
    case.refresh_from_db()
    assert case.status == S.PLATFORM_REVIEW
    assert case.events.filter(kind="merchant_silent").count() == 1
    assert case.awaiting == Party.STAFF


def test_the_buyer_may_ask_the_platform_only_after_the_merchants_reply_time():
    order = delivered_order()
    case = _open(order)
    from kadun.cases.errors import TooEarly

    with pytest.raises(TooEarly):
        services.case_ask_platform(case=case, party=Party.BUYER, author=order.buyer)
    later(hours=24, seconds=1)
    services.case_ask_platform(case=case, party=Party.BUYER, author=order.buyer)
    assert Case.objects.get(pk=case.pk).status == S.PLATFORM_REVIEW


def test_a_merchant_reply_starts_negotiation_and_a_silent_buyer_lets_the_case_close():
    order = delivered_order()
    case = _open(order)
    thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="卡密是好的，请按说明在官网兑换")
    case.refresh_from_db()
    assert case.status == S.NEGOTIATING and case.awaiting == Party.BUYER
    assert case.merchant_first_response_at is not None
    later(hours=72, seconds=1)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.LAPSED)
    later(seconds=1)  # the hold is gone: auto-confirm fires (the window had passed)
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    _clean()


def test_a_buyer_silent_on_an_offer_for_72_hours_accepts_it_and_is_paid_to_the_fen():
    order = delivered_order(price=1234)
    case = _open(order, kind="refund_dispute", statement="与描述不符，协商退款")
    offer = negotiation.offer_make(case=case, remedy="partial_refund", amount=600, author=order.shop.owner)
    later(hours=71)
    assert CaseOffer.objects.get(pk=offer.pk).status == OfferStatus.OPEN
    later(hours=1, seconds=1)
    case.refresh_from_db()
    assert CaseOffer.objects.get(pk=offer.pk).status == OfferStatus.ACCEPTED_BY_DEFAULT
    assert (case.status, case.outcome, case.amount_refunded) == (S.CLOSED, Outcome.PARTIALLY_REFUNDED, 600)
    assert Order.objects.get(pk=order.pk).refunded_amount == 600
    _clean()


def test_a_buyer_who_answers_hands_the_merchant_a_reply_deadline_that_escalates():
    order = delivered_order()
    case = _open(order)
    thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="请提供截图")
    thread.message_post(order=order, party=Party.BUYER, author=order.buyer, body="截图已经上传，提示已使用")
    case.refresh_from_db()
    assert case.awaiting == Party.MERCHANT
    later(hours=24, seconds=1)
    assert Case.objects.get(pk=case.pk).status == S.PLATFORM_REVIEW


def test_a_missed_evidence_request_is_recorded_and_the_case_returns_to_the_platform():
    order = delivered_order()
    case = _open(order)
    later(hours=48, seconds=1)
    support = staff("support")
    review.evidence_request(case=Case.objects.get(pk=case.pk), staff=support, party=Party.MERCHANT, text="请提供该卡密的进货凭证")
    case.refresh_from_db()
    assert case.awaiting == Party.MERCHANT
    later(hours=24, seconds=1)
    case.refresh_from_db()
    assert case.events.filter(kind="evidence_missed").count() == 1
    assert case.awaiting == Party.STAFF and case.status == S.PLATFORM_REVIEW


def _decided(order, remedy="full_refund", **kw):
    case = _open(order)
    later(hours=48, seconds=1)
    arbitrator = staff("arbitrator")
    decision = review.case_decide(
        case=Case.objects.get(pk=case.pk), arbitrator=arbitrator, remedy=remedy, fault=kw.pop("fault", "merchant"),
        reasons="卡密在首次查看前已被使用，验货记录为证", clauses=[1], **kw,
    )
    return Case.objects.get(pk=case.pk), decision, arbitrator


def test_a_decision_moves_money_only_when_the_appeal_window_closes():
    order = delivered_order(price=1500)
    case, _decision, _ = _decided(order)
    assert case.status == S.DECIDED
    later(days=2, hours=23)
    assert Order.objects.get(pk=order.pk).refunded_amount == 0
    later(hours=1, seconds=1)
    case.refresh_from_db()
    assert (case.status, case.outcome, case.amount_refunded) == (S.CLOSED, Outcome.REFUNDED, 1500)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 1500)
    _clean()


def test_a_waiver_by_the_losing_side_makes_the_decision_take_effect_at_once():
    order = delivered_order(price=1500)
    case, _decision, _ = _decided(order)
    review.decision_waive(case=case, party=Party.MERCHANT, author=order.shop.owner)
    case.refresh_from_db()
    assert (case.status, case.amount_refunded) == (S.CLOSED, 1500)
    later(days=4)  # the window's deadline fires later as a no-op: nothing is paid twice
    assert Order.objects.get(pk=order.pk).refunded_amount == 1500
    _clean()


def test_an_appeal_heard_by_the_same_arbitrator_is_refused():
    from kadun.cases.errors import SameArbitrator

    order = delivered_order()
    case, _decision, arbitrator = _decided(order)
    review.case_appeal(case=case, party=Party.MERCHANT, statement="买家查看后才反馈，卡密出库时有效", author=order.shop.owner)
    with pytest.raises(SameArbitrator):
        review.appeal_decide(case=Case.objects.get(pk=case.pk), arbitrator=arbitrator, remedy="rejected", fault="buyer",
                             reasons="复核：维持原裁决以外的结论", clauses=[1])
    assert Case.objects.get(pk=case.pk).status == S.APPEALED


def test_the_appeal_decided_by_another_arbitrator_is_final_and_carried_out():
    order = delivered_order(price=900)
    case, _decision, _ = _decided(order)
    review.case_appeal(case=case, party=Party.MERCHANT, statement="买家查看后才反馈，卡密出库时有效", author=order.shop.owner)
    second = staff("arbitrator")
    review.appeal_decide(case=Case.objects.get(pk=case.pk), arbitrator=second, remedy="partial_refund", amount=450, fault="merchant",
                         reasons="复核：双方均有责任，退一半", clauses=[1])
    case.refresh_from_db()
    assert (case.status, case.outcome, case.amount_refunded) == (S.CLOSED, Outcome.PARTIALLY_REFUNDED, 450)
    later(days=4)
    assert Order.objects.get(pk=order.pk).refunded_amount == 450
    _clean()


def test_a_rejected_decision_releases_the_escrow_to_the_merchant():
    order = delivered_order(price=1000)
    case, _decision, _ = _decided(order, remedy="rejected", fault="buyer")
    later(days=3, seconds=1)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.REJECTED)
    later(seconds=1)
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    _clean()
