"""The notify endpoint: only a genuine, fresh, matching notification moves money, and only once.

Every notification here travels as the gateway sends it: a form POST to /pay/notify/sandbox/,
answered ``success`` or 400 ``fail:<code>``.
"""
import datetime as dt

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, signed_notification
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.inventory.states import KeyStatus
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment, Refund, SandboxTrade
from kadun.payments.providers import sandbox
from kadun.payments.states import PaymentStatus, RefundStatus

pytestmark = pytest.mark.django_db
NOTIFY = "/pay/notify/sandbox/"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post(params):
    response = Client().post(NOTIFY, params)
    return response.status_code, response.content.decode()


def snapshot(order):
    """Everything a notification could change."""
    return {
        "order": Order.objects.get(pk=order.pk).status,
        "payment": Payment.objects.get(order=order).status,
        "entries": JournalEntry.objects.count(),
        "sold": CardKey.objects.filter(status=KeyStatus.SOLD).count(),
        "refunds": Refund.objects.count(),
        "escrow": balance_of(codes.escrow(order.pk)),
    }


@pytest.fixture
def order(product):
    order, _, _ = buy(product)
    return order


# --- a genuine notification ---------------------------------------------------------------


def test_valid_notification_delivers_and_holds_money_in_escrow(order):
    assert post(signed_notification(order)) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert CardKey.objects.filter(order=order, status=KeyStatus.SOLD).count() == 1
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
    assert balance_of(codes.escrow(order.pk)) == order.amount
    assert balance_of(codes.external("sandbox")) == -order.amount
    assert platform_check().ok


def test_same_notification_replayed_ten_times_delivers_once(order):
    params = signed_notification(order)
    answers = [post(params) for _ in range(10)]
    assert answers == [(200, "success")] * 10
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert JournalEntry.objects.filter(kind="payment", ref_type="order", ref_id=order.pk).count() == 1
    assert JournalEntry.objects.filter(ref_type="order", ref_id=order.pk).count() == 1
    assert CardKey.objects.filter(status=KeyStatus.SOLD).count() == 1
    assert CardKey.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).count() == 1
    assert balance_of(codes.escrow(order.pk)) == order.amount
    assert platform_check().ok


def test_gateway_retries_with_fresh_nonce_and_timestamp_deliver_once(order):
    answers = []
    for _ in range(5):
        clock.advance(dt.timedelta(seconds=30))
        answers.append(post(signed_notification(order)))
    assert answers == [(200, "success")] * 5
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1
    assert CardKey.objects.filter(order=order).count() == 1
    assert balance_of(codes.escrow(order.pk)) == order.amount


def test_failed_payment_notification_moves_no_money(order):
    before = JournalEntry.objects.count()
    assert post(signed_notification(order, trade_status="FAIL")) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
    assert JournalEntry.objects.count() == before
    assert CardKey.objects.filter(order=order).count() == 0


# --- forged, stale or mismatched notifications: refused, nothing changes --------------------


def assert_refused(order, params, code):
    before = snapshot(order)
    assert post(params) == (400, f"fail:{code}")
    assert snapshot(order) == before
    assert before["order"] == OrderStatus.PENDING_PAYMENT
    assert before["payment"] == PaymentStatus.PENDING


def test_bad_signature_is_refused(order):
    params = signed_notification(order)
    params["sign"] = params["sign"][:-1] + ("0" if params["sign"][-1] != "0" else "1")
    assert_refused(order, params, "bad_signature")


def test_amount_changed_without_resigning_is_refused(order):
    params = signed_notification(order)
    params["amount"] = "1"
    assert_refused(order, params, "bad_signature")


def test_amount_one_fen_off_is_refused_even_when_signed(order):
    params = signed_notification(order, amount=order.amount - 1)
    assert sandbox.sign(params) == params["sign"]
    assert_refused(order, params, "amount_mismatch")


def test_amount_one_fen_over_is_refused_even_when_signed(order):
    assert_refused(order, signed_notification(order, amount=order.amount + 1), "amount_mismatch")


def test_unknown_out_trade_no_is_refused(order):
    assert_refused(order, signed_notification(order, out_trade_no="P20990101000000FFFFFFFFFF"), "unknown_payment")


def test_notification_naming_another_merchant_is_refused(order):
    other = make_shop()
    assert other.pk != order.shop_id
    assert_refused(order, signed_notification(order, merchant_no=other.pk), "merchant_mismatch")


def test_other_currency_is_refused(order):
    assert_refused(order, signed_notification(order, currency="USD"), "currency_mismatch")


def test_stale_timestamp_is_refused(order):
    stale = int((clock.now() - dt.timedelta(minutes=6)).timestamp())
    assert_refused(order, signed_notification(order, timestamp=stale), "stale_timestamp")


def test_timestamp_from_the_future_is_refused(order):
    future = int((clock.now() + dt.timedelta(minutes=6)).timestamp())
    assert_refused(order, signed_notification(order, timestamp=future), "stale_timestamp")


def test_notification_replayed_after_six_minutes_is_refused(order):
    """A captured notification cannot be replayed later, even against an order still unpaid."""
    params = signed_notification(order)
    clock.advance(dt.timedelta(minutes=6))
    assert_refused(order, params, "stale_timestamp")


def test_notification_signed_with_wrong_secret_is_refused(order):
    params = signed_notification(order)
    params["sign"] = sandbox.sign(params, secret="not-the-shared-secret")
    assert_refused(order, params, "bad_signature")


def test_notification_missing_parameters_is_refused(order):
    params = signed_notification(order)
    del params["timestamp"], params["nonce"]
    params["sign"] = sandbox.sign(params)
    assert_refused(order, params, "malformed_notification")


def test_empty_notification_is_refused(order):
    assert_refused(order, {}, "malformed_notification")


def test_notification_for_another_app_is_refused(order):
    assert_refused(order, signed_notification(order, app_id="someone-elses-app"), "app_mismatch")


def test_unknown_trade_status_is_refused(order):
    assert_refused(order, signed_notification(order, trade_status="TRADE_FINISHED"), "malformed_notification")


def test_unknown_provider_is_refused(order):
    before = snapshot(order)
    response = Client().post("/pay/notify/nosuchpay/", signed_notification(order))
    assert (response.status_code, response.content.decode()) == (404, "fail:unknown_provider")
    assert snapshot(order) == before


# --- money that arrives too late ---------------------------------------------------------------


def assert_refunded_in_full(order, reason):
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_amount == order.amount
    assert order.delivered_at is None
    assert CardKey.objects.filter(order=order).count() == 0
    refunds = list(Refund.objects.filter(order=order))
    assert [(r.amount, r.reason) for r in refunds] == [(order.amount, reason)]
    assert balance_of(codes.escrow(order.pk)) == 0
    assert not OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).exists()
    # The money reaches the buyer at the gateway once the outbox runs.
    outbox_deliver_all()
    assert Refund.objects.get(order=order).status == RefundStatus.SUCCEEDED
    assert SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no).refunded == order.amount
    assert platform_check().ok


def test_payment_after_expiry_is_refunded_in_full_and_allocates_no_key(product):
    order, _, _ = buy(product)
    clock.advance(dt.timedelta(minutes=15, seconds=1))
    deadlines_sweep_all()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.EXPIRED
    assert post(signed_notification(order)) == (200, "success")
    assert_refunded_in_full(order, "late_payment")
    assert CardKey.objects.filter(product=product, status=KeyStatus.AVAILABLE).count() == 5
    assert balance_of(codes.external("sandbox")) == 0


def test_stock_gone_between_checkout_and_payment_is_refunded_in_full(shop):
    product = make_product(shop, keys=1, price=1234)
    first, _, _ = buy(product)
    second, _, _ = buy(product)  # checkout sees one key in stock for both
    assert post(signed_notification(first)) == (200, "success")
    assert post(signed_notification(second)) == (200, "success")
    assert Order.objects.get(pk=first.pk).status == OrderStatus.DELIVERED
    assert_refunded_in_full(second, "out_of_stock")
    assert balance_of(codes.escrow(first.pk)) == 1234
    assert balance_of(codes.external("sandbox")) == -1234


def test_refunded_order_replayed_notification_changes_nothing(shop):
    product = make_product(shop, keys=1)
    first, _, _ = buy(product)
    second, _, _ = buy(product)
    post(signed_notification(first))
    params = signed_notification(second)
    post(params)
    before = snapshot(second)
    assert [post(params) for _ in range(3)] == [(200, "success")] * 3
    assert snapshot(second) == before
    assert Refund.objects.filter(order=second).count() == 1
