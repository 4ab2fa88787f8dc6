"""Real threads against PostgreSQL: two different payments of one order succeed at the same
moment. The partial unique constraint lets one be credited; the other's UPDATE fails in its
savepoint and becomes 重复支付, refunded to its source. Escrow holds the order's amount to the 分."""
from __future__ import annotations

import pytest

from conftest import all_at_once, buy, make_product
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants.tests.funds_helpers import assert_books_clean
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.gateway_fixtures import alipay, post_notify  # noqa: F401 (fixture)
from kadun.payments.tests.multipay_helpers import guest_client, payments, sandbox_notification, switch

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def _two_payments(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=3, price=1010), provider="sandbox")
    assert switch(guest_client(token), order, "alipay").status_code == 302
    old, new = payments(order)
    alipay.open(new.pay_url)
    alipay.pay(new.out_trade_no)
    return order, old, new


def test_two_payments_succeeding_at_once_credit_one_and_refund_the_other(alipay):  # noqa: F811
    order, old, new = _two_payments(alipay)
    notes = {"sandbox": sandbox_notification(old), "alipay": alipay.notification(new.out_trade_no)}
    answers = all_at_once(lambda provider: post_notify(provider, notes[provider]), ["sandbox", "alipay"])
    assert answers == [(200, "success")] * 2
    statuses = sorted(p.status for p in payments(order))
    assert statuses == [PaymentStatus.DUPLICATE, PaymentStatus.SUCCEEDED]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.keys.count() == 1
    assert balance_of(codes.escrow(order.pk)) == 1010
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1
    duplicate = next(p for p in payments(order) if p.status == PaymentStatus.DUPLICATE)
    refund = Refund.objects.get(order=order)
    assert (refund.payment_id, refund.amount, refund.reason) == (duplicate.pk, 1010, "duplicate_payment")
    outbox_deliver_all()
    assert balance_of(codes.payment_suspense(duplicate.pk)) == 0
    assert_books_clean()


def test_replays_of_both_at_once_still_credit_one(alipay):  # noqa: F811
    order, old, new = _two_payments(alipay)
    notes = [("sandbox", sandbox_notification(old)), ("alipay", alipay.notification(new.out_trade_no))] * 3
    answers = all_at_once(lambda pair: post_notify(*pair), notes)
    assert answers == [(200, "success")] * 6
    assert sorted(p.status for p in payments(order)) == [PaymentStatus.DUPLICATE, PaymentStatus.SUCCEEDED]
    assert balance_of(codes.escrow(order.pk)) == 1010
    assert Refund.objects.filter(order=order, reason="duplicate_payment").count() == 1
    assert_books_clean()
