"""WeChat Pay answers a refund PROCESSING (零钱 later, bank cards days later): the refund is
``processing`` and finished by querying ``GET /v3/refund/domestic/refunds/{out_refund_no}``,
signed by the fake exactly as WeChat signs; ABNORMAL (the buyer's card refused it) goes to staff."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.payments import services as payments
from kadun.payments.states import RefundStatus as S
from kadun.payments.tests.refund_helpers import kinds, step
from kadun.payments.tests.wechat_helpers import gateway, now_ts, post, wechat_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1, seconds=1)
QUERY = "/v3/refund/domestic/refunds/"


@pytest.fixture
def paid(product, gateway):  # noqa: F811
    order, _ = wechat_order(product)
    gateway.pay(order.payment.out_trade_no)
    assert post(*gateway.notification(order.payment.out_trade_no, timestamp=now_ts()))[0] == 200
    order.refresh_from_db()
    return order


def issued(order):
    with transaction.atomic():
        return payments.refund_issue(order=order, amount=order.amount, reason="测试退款", key=f"w:{order.pk}")


def queries(gateway, refund) -> int:  # noqa: F811
    return gateway.requests.count(("GET", QUERY + refund.refund_no))


def test_a_processing_refund_is_finished_by_the_query(paid, gateway):  # noqa: F811
    refund = step(issued(paid))
    assert refund.status == S.PROCESSING and refund.provider_refund_no.startswith("5030")
    assert step(refund).status == S.PROCESSING and queries(gateway, refund) == 0  # not due yet
    refund = step(refund, after=MINUTE)
    assert refund.status == S.PROCESSING and queries(gateway, refund) == 1  # still processing at WeChat
    gateway.settle_refund(refund.refund_no)
    refund = step(refund, after=dt.timedelta(minutes=2))
    assert refund.status == S.SUCCEEDED and refund.completed_at
    assert kinds(refund) == ["processing", "succeeded"]
    assert gateway.requests.count(("POST", "/v3/refund/domestic/refunds")) == 1
    assert gateway.trades[paid.payment.out_trade_no]["refunded"] == paid.amount
    assert balance_of(codes.escrow(paid.pk)) == 0


def test_a_refund_the_card_refuses_later_goes_to_staff(paid, gateway):  # noqa: F811
    refund = step(issued(paid))
    gateway.settle_refund(refund.refund_no, "ABNORMAL")
    refund = step(refund, after=MINUTE)
    assert (refund.status, refund.last_error) == (S.ATTENTION, "wechatpay:ABNORMAL")
    assert kinds(refund) == ["processing", "attention"]


def test_a_refund_wechat_never_received_is_sent_again(paid, gateway):  # noqa: F811
    gateway.refund_refusals = [(500, "SYSTEM_ERROR")]
    refund = step(issued(paid))
    assert (refund.status, refund.last_error) == (S.PENDING, "wechatpay:SYSTEM_ERROR")
    gateway.refund_status = "SUCCESS"
    refund = step(refund, after=MINUTE)
    assert refund.status == S.SUCCEEDED and list(gateway.refunds) == [refund.refund_no]


def test_a_query_answer_that_does_not_match_the_refund_is_not_believed(paid, gateway):  # noqa: F811
    refund = step(issued(paid))
    gateway.refunds[refund.refund_no]["amount"]["refund"] = paid.amount + 1  # signed, but not our refund
    gateway.settle_refund(refund.refund_no)
    refund = step(refund, after=MINUTE)
    assert (refund.status, refund.attempts, refund.last_error) == (S.PROCESSING, 1, "wechatpay:GatewayError")
