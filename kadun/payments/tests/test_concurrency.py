"""Real threads against PostgreSQL: many buyers, few keys; one notification, many deliveries.

Every thread closes its own database connection when it is done.
"""
import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import all_at_once, buy, make_product, signed_notification
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.inventory.states import KeyStatus
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment, Refund
from kadun.payments.states import PaymentStatus

NOTIFY = "/pay/notify/sandbox/"
pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]




def post(params):
    response = Client().post(NOTIFY, params)
    return response.status_code, response.content.decode()


def test_fifty_buyers_twenty_keys_sell_each_key_once_and_refund_the_rest(capsys):
    product = make_product(keys=20, price=990)

    def checkout(i):
        order, _, _ = buy(product, contact=f"buyer{i}@example.com")
        return order.pk

    order_ids = all_at_once(checkout, list(range(50)))
    assert len(set(order_ids)) == 50  # checkout checks stock, and all 20 keys are still there
    orders = list(Order.objects.filter(pk__in=order_ids).prefetch_related("payments"))
    notifications = [signed_notification(order) for order in orders]

    answers = all_at_once(post, notifications)

    assert answers == [(200, "success")] * 50
    delivered = list(Order.objects.filter(pk__in=order_ids, status=OrderStatus.DELIVERED))
    assert len(delivered) == 20
    sold = list(CardKey.objects.filter(product=product, status=KeyStatus.SOLD).values_list("id", "order_id"))
    assert len(sold) == 20
    assert len({key for key, _ in sold}) == 20
    assert sorted(order for _, order in sold) == sorted(o.pk for o in delivered)  # one key per delivered order
    assert CardKey.objects.filter(product=product, status=KeyStatus.AVAILABLE).count() == 0
    for order in delivered:
        assert balance_of(codes.escrow(order.pk)) == 990

    others = Order.objects.filter(pk__in=order_ids).exclude(status=OrderStatus.DELIVERED)
    assert others.count() == 30
    for order in others:
        charged = JournalEntry.objects.filter(kind="payment", ref_type="order", ref_id=order.pk).exists()
        if not charged:
            assert Payment.objects.get(order=order).status != PaymentStatus.SUCCEEDED
            continue
        assert order.status == OrderStatus.REFUNDED
        assert order.refunded_amount == order.amount == 990
        assert balance_of(codes.escrow(order.pk)) == 0
        assert list(Refund.objects.filter(order=order).values_list("amount", flat=True)) == [990]
        assert not CardKey.objects.filter(order=order).exists()
        assert not OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).exists()
    assert JournalEntry.objects.filter(kind="payment").count() == 50
    assert balance_of(codes.external("sandbox")) == -20 * 990  # 50 paid in, 30 paid back

    assert platform_check().ok
    call_command("ledger_check")  # SystemExit(1) on any violation
    assert "ledger-check: OK" in capsys.readouterr().out


def test_same_notification_posted_ten_times_at_once_delivers_once():
    product = make_product(keys=5, price=1500)
    order, _, _ = buy(product)
    params = signed_notification(order)

    answers = all_at_once(post, [params] * 10)

    assert answers == [(200, "success")] * 10
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert JournalEntry.objects.filter(kind="payment", ref_type="order", ref_id=order.pk).count() == 1
    assert JournalEntry.objects.filter(ref_type="order", ref_id=order.pk).count() == 1
    assert CardKey.objects.filter(order=order).count() == 1
    assert CardKey.objects.filter(product=product, status=KeyStatus.SOLD).count() == 1
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).count() == 1
    assert not Refund.objects.exists()
    assert balance_of(codes.escrow(order.pk)) == 1500
    assert balance_of(codes.external("sandbox")) == -1500
    assert platform_check().ok


def test_payment_racing_expiry_either_delivers_or_refunds_in_full():
    """Notifications land while a sweeper expires the same orders: each order ends delivered with
    its key, or refunded in full; a notification that lost the race is answered with an error and
    the gateway's retry settles it."""
    product = make_product(keys=20, price=700)
    orders = [buy(product, contact=f"racer{i}@example.com")[0] for i in range(20)]
    clock.advance(dt.timedelta(minutes=15, seconds=1))  # every order is due to expire now
    notifications = [signed_notification(order) for order in orders]

    def act(job):
        if job is None:
            return deadlines_sweep_all()
        response = Client(raise_request_exception=False).post(NOTIFY, job)
        return response.status_code, response.content.decode()

    answers = all_at_once(act, notifications + [None, None])[:20]

    for order, answer in zip(orders, answers, strict=True):
        if answer != (200, "success"):  # the gateway retries until it hears "success"
            assert post(signed_notification(order)) == (200, "success")
    clock.advance(dt.timedelta(hours=1))
    deadlines_sweep_all()  # expiries that lost the race are retried and find nothing to do

    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
        keys = CardKey.objects.filter(order=order).count()
        refunds = list(Refund.objects.filter(order=order).values_list("amount", flat=True))
        if order.status == OrderStatus.DELIVERED:
            assert (keys, refunds, balance_of(codes.escrow(order.pk))) == (1, [], 700)
        else:
            assert order.status == OrderStatus.REFUNDED
            assert (keys, refunds, balance_of(codes.escrow(order.pk))) == (0, [700], 0)
    assert JournalEntry.objects.filter(kind="payment").count() == 20
    assert platform_check().ok
