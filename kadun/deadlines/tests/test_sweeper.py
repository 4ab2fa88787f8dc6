"""Deadlines fire on time, once, and the money they move is exact to the 分."""
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conftest import buy, make_product, pay, signed_notification
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep, deadlines_sweep_all
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order, OrderEvent
from kadun.orders.services import KIND_AUTOCONFIRM, KIND_EXPIRE, KIND_SETTLE
from kadun.orders.states import OrderStatus
from kadun.payments.services import notification_handle

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def deadline(kind, order):
    return Deadline.objects.get(kind=kind, subject_id=order.pk)


def move_clock_to(moment):
    """Move the clock so that now() is ``moment`` (plus the few ms the test takes)."""
    clock.advance(moment - clock.now())


def status(order):
    return Order.objects.get(pk=order.pk).status


def delivered_order(shop, price):
    product = make_product(shop, keys=1, price=price)
    order, _, _ = buy(product)
    return pay(order)


def test_auto_confirm_fires_at_the_end_of_the_inspection_window_not_a_second_before(shop):
    order = delivered_order(shop, 2025)
    due = deadline(KIND_AUTOCONFIRM, order).due_at
    assert due == order.delivered_at + dt.timedelta(hours=24)

    move_clock_to(due - SECOND)
    deadlines_sweep_all()
    assert status(order) == OrderStatus.DELIVERED
    assert deadline(KIND_AUTOCONFIRM, order).fired_at is None
    assert balance_of(codes.escrow(order.pk)) == 2025

    clock.advance(SECOND)
    deadlines_sweep_all()
    assert status(order) == OrderStatus.CONFIRMED
    fired = deadline(KIND_AUTOCONFIRM, order)
    assert fired.fired_at is not None and fired.outcome == "done" and fired.attempts == 1
    assert OrderEvent.objects.filter(order=order, kind="confirmed", actor="system").count() == 1


def test_auto_confirm_fires_only_once(shop):
    order = delivered_order(shop, 2025)
    move_clock_to(deadline(KIND_AUTOCONFIRM, order).due_at + SECOND)
    deadlines_sweep_all()
    first = deadline(KIND_AUTOCONFIRM, order)
    for _ in range(3):
        clock.advance(dt.timedelta(hours=1))
        deadlines_sweep_all()
    again = deadline(KIND_AUTOCONFIRM, order)
    assert (again.fired_at, again.attempts) == (first.fired_at, 1)
    assert JournalEntry.objects.filter(kind="release", ref_id=order.pk).count() == 1
    assert OrderEvent.objects.filter(order=order, kind="confirmed").count() == 1


def test_confirm_moves_escrow_to_pending_less_a_two_percent_fee_rounded_half_up(shop):
    order = delivered_order(shop, 2025)  # 2% of 20.25 = 0.405 -> 0.41 (half up, not half even)
    move_clock_to(deadline(KIND_AUTOCONFIRM, order).due_at)
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.fee == 41
    assert balance_of(codes.escrow(order.pk)) == 0
    assert balance_of(codes.merchant_pending(shop.pk)) == 1984
    assert balance_of(codes.merchant_available(shop.pk)) == 0
    assert balance_of(codes.PLATFORM_FEES) == 41
    assert platform_check().ok


def test_settlement_after_the_delay_not_a_second_before(shop):
    order = delivered_order(shop, 2025)
    move_clock_to(deadline(KIND_AUTOCONFIRM, order).due_at)
    deadlines_sweep_all()
    order.refresh_from_db()
    due = deadline(KIND_SETTLE, order).due_at
    assert due == order.confirmed_at + dt.timedelta(hours=72)

    move_clock_to(due - SECOND)
    deadlines_sweep_all()
    assert balance_of(codes.merchant_pending(shop.pk)) == 1984
    assert balance_of(codes.merchant_available(shop.pk)) == 0
    assert Order.objects.get(pk=order.pk).settled_at is None

    clock.advance(SECOND)
    deadlines_sweep_all()
    assert balance_of(codes.merchant_pending(shop.pk)) == 0
    assert balance_of(codes.merchant_available(shop.pk)) == 1984
    assert balance_of(codes.PLATFORM_FEES) == 41
    assert Order.objects.get(pk=order.pk).settled_at is not None
    assert JournalEntry.objects.filter(kind="settle", ref_id=order.pk).count() == 1
    assert platform_check().ok


def test_balances_exact_to_the_fen_over_several_orders(shop):
    # (price, quantity) -> amount, 2% fee half up
    cases = [(2025, 1), (2024, 1), (25, 1), (24, 1), (1, 1), (1999, 3)]
    expected_fees = [41, 40, 1, 0, 0, 120]  # 40.5->41, 40.48->40, 0.5->1, 0.48->0, 0.02->0, 119.94->120
    orders = []
    for price, quantity in cases:
        product = make_product(shop, keys=quantity, price=price)
        order, _, _ = buy(product, quantity=quantity)
        orders.append(pay(order))
    clock.advance(dt.timedelta(hours=24, seconds=1))
    deadlines_sweep_all()
    assert [Order.objects.get(pk=o.pk).fee for o in orders] == expected_fees
    total = sum(p * q for p, q in cases)
    fees = sum(expected_fees)
    assert balance_of(codes.merchant_pending(shop.pk)) == total - fees
    clock.advance(dt.timedelta(hours=72))
    deadlines_sweep_all()
    assert balance_of(codes.merchant_pending(shop.pk)) == 0
    assert balance_of(codes.merchant_available(shop.pk)) == total - fees == 10096 - 202
    assert balance_of(codes.PLATFORM_FEES) == 202
    assert balance_of(codes.external("sandbox")) == -total
    assert all(balance_of(codes.escrow(o.pk)) == 0 for o in orders)
    assert platform_check().ok


def test_unpaid_order_expires_at_fifteen_minutes_not_a_second_before(product):
    order, _, _ = buy(product)
    due = deadline(KIND_EXPIRE, order).due_at
    move_clock_to(due - SECOND)
    deadlines_sweep_all()
    assert status(order) == OrderStatus.PENDING_PAYMENT
    clock.advance(SECOND)
    deadlines_sweep_all()
    assert status(order) == OrderStatus.EXPIRED


def test_buyer_confirm_before_the_window_makes_auto_confirm_a_noop(shop):
    from kadun.orders.services import order_confirm

    order = delivered_order(shop, 1000)
    order_confirm(order_id=order.pk, actor="buyer")
    move_clock_to(deadline(KIND_AUTOCONFIRM, order).due_at)
    deadlines_sweep_all()
    assert deadline(KIND_AUTOCONFIRM, order).outcome == "noop"
    assert JournalEntry.objects.filter(kind="release", ref_id=order.pk).count() == 1
    assert balance_of(codes.merchant_pending(shop.pk)) == 980


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_four_sweepers_fire_three_hundred_deadlines_each_exactly_once(shop, settings):
    settings.KADUN_SWEEP_BATCH = 7  # small batches: the sweepers interleave and contend
    product = make_product(shop, keys=300, price=1000)

    def buy_and_pay(n):
        try:
            done = []
            for _ in range(n):
                order, _, _ = buy(product)
                assert notification_handle(provider="sandbox", params=signed_notification(order)) == "delivered"
                done.append(order.pk)
            return done
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:  # six buyers at a time, to build the 300 orders faster
        orders = [pk for chunk in pool.map(buy_and_pay, [50] * 6) for pk in chunk]
    assert len(orders) == 300
    clock.advance(dt.timedelta(hours=24, seconds=1))
    due = Deadline.objects.filter(fired_at__isnull=True, due_at__lte=clock.now())
    assert due.filter(kind=KIND_AUTOCONFIRM).count() == 300
    assert due.filter(kind=KIND_EXPIRE).count() == 300  # the orders' payment deadlines: due too, now no-ops

    barrier = threading.Barrier(4, timeout=60)

    def sweeper(_):
        taken = 0
        try:
            barrier.wait()
            while n := deadlines_sweep():
                taken += n
            return taken
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        taken = list(pool.map(sweeper, range(4)))

    assert sum(taken) == 600  # no deadline taken twice
    assert not Deadline.objects.filter(fired_at__isnull=True, due_at__lte=clock.now()).exists()
    fired = Deadline.objects.filter(subject_id__in=orders, fired_at__isnull=False, attempts=1)
    assert fired.filter(kind=KIND_AUTOCONFIRM, outcome="done").count() == 300
    assert fired.filter(kind=KIND_EXPIRE, outcome="noop").count() == 300
    assert Order.objects.filter(pk__in=orders, status=OrderStatus.CONFIRMED).count() == 300
    releases = JournalEntry.objects.filter(kind="release", ref_type="order", ref_id__in=orders)
    assert releases.count() == 300
    assert len(set(releases.values_list("ref_id", flat=True))) == 300
    assert OrderEvent.objects.filter(order_id__in=orders, kind="confirmed").count() == 300
    assert balance_of(codes.merchant_pending(shop.pk)) == 300 * 980
    assert balance_of(codes.PLATFORM_FEES) == 300 * 20
    assert platform_check().ok
