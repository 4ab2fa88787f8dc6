"""A refund to the original payment through the real gateways' fakes (signed as the gateways sign):
refused and retried with back-off, accepted and finished by a query, raised to staff after too
many failures or a definite refusal, and what the buyer sees on the order page at each stage."""
from __future__ import annotations

import datetime as dt

import pytest

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants.tests.funds_helpers import assert_books_clean
from kadun.notifications.models import OutboxMessage
from kadun.notifications.services import outbox_enqueue
from kadun.payments import refunds_gateway
from kadun.payments.states import RefundStatus as S
from kadun.payments.tests.gateway_fixtures import alipay, epay  # noqa: F401 (fixtures)
from kadun.payments.tests.refund_helpers import buyer_page, issue, kinds, paid_order, refund_gateway_calls, step

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1, seconds=1)


def test_refused_twice_then_succeeds_refunds_once_and_moves_money_once(alipay):  # noqa: F811
    alipay.refund_refusals = ["ACQ.SYSTEM_ERROR", "ACQ.SYSTEM_ERROR"]
    order, token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    assert (refund.status, refund.attempts, refund.last_error) == (S.PENDING, 1, "alipay:ACQ.SYSTEM_ERROR")
    assert refund.next_attempt_at - clock.now() <= dt.timedelta(minutes=1)
    assert step(refund).attempts == 1  # not due yet: nothing sent
    assert refund_gateway_calls(alipay) == 1
    assert "退款处理中" in buyer_page(order, token)
    refund = step(refund, after=MINUTE)
    assert (refund.status, refund.attempts) == (S.PENDING, 2)
    refund = step(refund, after=dt.timedelta(minutes=5, seconds=1))
    assert refund.status == S.SUCCEEDED and refund.completed_at and refund.provider_refund_no.endswith(refund.refund_no)
    assert kinds(refund) == ["failed", "failed", "succeeded"]
    assert refund_gateway_calls(alipay) == 3
    assert {no: (r["out_trade_no"], r["amount"]) for no, r in alipay.refunds.items()} == {refund.refund_no: (order.payment.out_trade_no, "10.10")}
    assert JournalEntry.objects.filter(kind="refund", ref_id=order.pk).count() == 1
    assert balance_of(codes.escrow(order.pk)) == 0 and balance_of(codes.external("alipay")) == 0
    assert not OutboxMessage.objects.filter(topic="provider_refund", sent_at__isnull=True).exists()
    assert "已退款" in buyer_page(order, token)
    assert_books_clean()


def test_refused_too_often_goes_to_staff_and_the_buyer_sees_it_blocked(alipay, settings):  # noqa: F811
    settings.KADUN_REFUND_MAX_ATTEMPTS = 3
    alipay.refund_refusals = ["ACQ.SYSTEM_ERROR"] * 3
    order, token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    refund = step(refund, after=MINUTE)
    refund = step(refund, after=dt.timedelta(minutes=5, seconds=1))
    assert (refund.status, refund.attempts, refund.next_attempt_at) == (S.ATTENTION, 3, None)
    assert kinds(refund) == ["failed", "failed", "attention"]
    assert step(refund, after=dt.timedelta(days=1)).status == S.ATTENTION  # nothing more is sent
    assert refund_gateway_calls(alipay) == 3 and alipay.refunds == {}
    assert not OutboxMessage.objects.filter(topic="provider_refund", sent_at__isnull=True).exists()
    page = buyer_page(order, token)
    assert "退款受阻，平台处理中" in page and 'data-refund-status="attention"' in page
    assert "ACQ.SYSTEM_ERROR" not in page  # the gateway's code is the staff's, not the buyer's


def test_a_definite_refusal_goes_to_staff_at_once(alipay):  # noqa: F811
    alipay.refund_refusals = ["ACQ.TRADE_HAS_FINISHED"]
    order, _token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    assert (refund.status, refund.attempts, refund.last_error) == (S.ATTENTION, 1, "alipay:ACQ.TRADE_HAS_FINISHED")
    assert refund_gateway_calls(alipay) == 1


def test_a_lost_answer_is_sent_again_and_confirmed_by_the_refund_query(alipay):  # noqa: F811
    alipay.lost_refund_answers = 1  # Alipay refunds, but its answer does not verify
    order, _token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    assert (refund.status, refund.attempts, refund.last_error) == (S.PENDING, 1, "alipay:GatewayError")
    assert list(alipay.refunds) == [refund.refund_no]
    refund = step(refund, after=MINUTE)  # sent again: out_request_no refunds once, fund_change=N
    assert refund.status == S.PROCESSING
    refund = step(refund, after=MINUTE)  # alipay.trade.fastpay.refund.query: REFUND_SUCCESS
    assert refund.status == S.SUCCEEDED
    assert kinds(refund) == ["failed", "processing", "succeeded"]
    assert refund_gateway_calls(alipay, "alipay.trade.fastpay.refund.query") == 1
    assert len(alipay.refunds) == 1 and balance_of(codes.escrow(order.pk)) == 0


def test_duplicate_messages_for_one_refund_call_the_gateway_once(alipay):  # noqa: F811
    order, _token = paid_order(alipay, "alipay")
    refund = issue(order)
    from django.db import transaction

    with transaction.atomic():
        outbox_enqueue(topic="provider_refund", payload={"refund_id": refund.pk})  # a duplicate of the message
    refund = step(refund)
    assert refund.status == S.SUCCEEDED and refund_gateway_calls(alipay) == 1
    assert kinds(refund) == ["succeeded"]


def test_a_step_lost_with_its_process_is_picked_up_by_the_duty(alipay):  # noqa: F811
    order, _token = paid_order(alipay, "alipay")
    refund = issue(order)
    assert refunds_gateway._claim(refund.pk) is not None  # a sender took the lease, then its process died
    OutboxMessage.objects.filter(topic="provider_refund").update(sent_at=clock.now())
    assert refunds_gateway.refunds_overdue() == 0  # not overdue yet
    clock.advance(dt.timedelta(minutes=15))
    assert refunds_gateway.refunds_overdue() == 1
    assert refunds_gateway.refunds_overdue() == 0  # a message is waiting now: not enqueued twice
    assert step(refund).status == S.SUCCEEDED and refund_gateway_calls(alipay) == 1


def test_an_epay_panel_busy_once_refunds_on_the_retry(epay):  # noqa: F811
    epay.busy_refunds = 1
    order, token = paid_order(epay, "epay")
    refund = step(issue(order, amount=500))
    assert (refund.status, refund.last_error) == (S.PENDING, "epay:refused:-1")
    refund = step(refund, after=MINUTE)
    assert refund.status == S.SUCCEEDED and epay.refunds[refund.refund_no]["money"] == "5.00"
    assert balance_of(codes.escrow(order.pk)) == 510


def test_a_wallet_refund_is_instant(alipay):  # noqa: F811
    from conftest import buy, make_product, make_user
    from kadun.ledger.services import entry_post
    from kadun.payments import services as payments
    from django.db import transaction

    buyer = make_user()
    entry_post(kind="adjust", idempotency_key="fund", lines=[(codes.PLATFORM_ADVANCE, -2000), (codes.buyer_wallet(buyer.pk), 2000)],
               ref_type="test", ref_id=1, memo="")
    order, _t, _u = buy(make_product(keys=2, price=1010), buyer=buyer, provider="wallet")
    payments.payment_pay_with_wallet(order=order, user=buyer)
    with transaction.atomic():
        refund = payments.refund_issue(order=order, amount=1010, reason="测试退款", key="w1")
    assert (refund.status, refund.destination) == (S.SUCCEEDED, "wallet")
    assert not OutboxMessage.objects.filter(topic="provider_refund").exists()
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 2000


def test_the_message_of_a_sender_that_died_holding_the_lease_is_tried_again(alipay):  # noqa: F811
    order, _token = paid_order(alipay, "alipay")
    refund = issue(order)
    assert refunds_gateway._claim(refund.pk) is not None  # a sender took the lease, then its process died
    message = OutboxMessage.objects.get(topic="provider_refund")
    refund = step(refund)  # the message is delivered again while the lease holds: kept, not consumed
    message.refresh_from_db()
    assert refund.status == S.PENDING and message.sent_at is None and message.attempts == 1
    refund = step(refund, after=dt.timedelta(minutes=3))  # the lease ran out: this message sends it
    assert refund.status == S.SUCCEEDED and refund_gateway_calls(alipay) == 1
