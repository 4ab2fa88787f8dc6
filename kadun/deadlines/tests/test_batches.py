"""Expiry, auto-confirm and settlement fire in batches: the same rows, to the 分, as one by one."""
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conftest import buy, make_product, make_shop, pay, signed_notification
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep, deadlines_sweep_all
from kadun.ledger import accounts as codes
from kadun.ledger.models import Account, JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order, OrderEvent
from kadun.orders.services import KIND_AUTOCONFIRM, KIND_EXPIRE, KIND_SETTLE, order_confirm, order_hold
from kadun.orders.states import OrderStatus
from kadun.payments.services import notification_handle

pytestmark = pytest.mark.django_db
INSPECTION = dt.timedelta(hours=24, seconds=1)
SETTLEMENT = dt.timedelta(hours=72, seconds=1)


def delivered(shop, price, quantity=1):
    order, _, _ = buy(make_product(shop, keys=quantity, price=price), quantity=quantity)
    return pay(order)


def postings(order_id, kind):
    entry = JournalEntry.objects.get(kind=kind, ref_type="order", ref_id=order_id)
    return sorted((p.account.code.replace(codes.escrow(order_id), "escrow:order:N"), p.amount) for p in entry.postings.select_related("account"))


def expiries_fired():
    """The paid orders' payment deadlines (due 15 minutes in) fire first, as no-ops."""
    clock.advance(dt.timedelta(minutes=16))
    deadlines_sweep_all()
    assert not Deadline.objects.filter(kind=KIND_EXPIRE, fired_at__isnull=True).exists()


def fired(kind, order):
    return Deadline.objects.get(kind=kind, subject_id=order.pk)


def test_a_batch_of_auto_confirmations_books_what_one_confirmation_books(settings):
    shops = [make_shop() for _ in range(3)]
    prices = [2025, 2024, 25, 24, 1, 1999]
    orders = [delivered(shops[i % 3], price) for i, price in enumerate(prices)]
    by_hand = delivered(shops[0], 2025)
    order_confirm(order_id=by_hand.pk, actor="buyer")  # the one-by-one path, for comparison
    expiries_fired()

    clock.advance(INSPECTION)
    assert deadlines_sweep() == 7  # one sweep, one transaction: the whole batch
    assert fired(KIND_AUTOCONFIRM, by_hand).outcome == "noop"  # confirmed already

    fees = [41, 40, 1, 0, 0, 40]  # 2 %, half up
    for order, _price, fee in zip(orders, prices, fees, strict=True):
        order.refresh_from_db()
        assert (order.status, order.fee) == (OrderStatus.CONFIRMED, fee)
        deadline = fired(KIND_AUTOCONFIRM, order)
        assert (deadline.outcome, deadline.attempts) == ("done", 1)
        assert balance_of(codes.escrow(order.pk)) == 0
        assert OrderEvent.objects.filter(order=order, kind="confirmed", actor="system", to_status="confirmed").count() == 1
        settle = fired(KIND_SETTLE, order)
        assert settle.fired_at is None and settle.due_at == order.confirmed_at + dt.timedelta(hours=72)
    # The same postings as the single confirmation made for the same price.
    assert postings(orders[0].pk, "release") == sorted([
        (codes.PLATFORM_FEES, 41), ("escrow:order:N", -2025), (codes.merchant_pending(shops[0].pk), 1984)
    ]) == postings(by_hand.pk, "release")
    for i, shop in enumerate(shops):
        mine = [(p, f) for k, (p, f) in enumerate(zip(prices, fees, strict=True)) if k % 3 == i]
        extra = 1984 if i == 0 else 0
        assert balance_of(codes.merchant_pending(shop.pk)) == sum(p - f for p, f in mine) + extra
    assert balance_of(codes.PLATFORM_FEES) == sum(fees) + 41
    assert platform_check().ok


def test_a_batch_skips_held_and_already_confirmed_orders_and_says_so():
    shop = make_shop()
    done, held, confirmed = (delivered(shop, 1000) for _ in range(3))
    order_hold(order_id=held.pk, held=True)
    order_confirm(order_id=confirmed.pk, actor="buyer")
    clock.advance(INSPECTION)
    deadlines_sweep_all()
    assert fired(KIND_AUTOCONFIRM, done).outcome == "done"
    assert fired(KIND_AUTOCONFIRM, held).outcome == "held"
    assert fired(KIND_AUTOCONFIRM, confirmed).outcome == "noop"
    assert Order.objects.get(pk=held.pk).status == OrderStatus.DELIVERED
    assert balance_of(codes.escrow(held.pk)) == 1000
    assert JournalEntry.objects.filter(kind="release", ref_id=confirmed.pk).count() == 1
    assert balance_of(codes.merchant_pending(shop.pk)) == 2 * 980
    assert platform_check().ok


def test_a_batch_that_fails_is_fired_one_by_one_and_only_the_bad_order_waits():
    shop = make_shop()
    good = [delivered(shop, 1000) for _ in range(3)]
    bad = delivered(shop, 1000)
    # Escrow short of the order's amount (as if an earlier bug took it): releasing it must fail.
    Account.objects.filter(code=codes.escrow(bad.pk)).update(balance=999)
    expiries_fired()
    clock.advance(INSPECTION)
    now = clock.now()
    assert deadlines_sweep() == 4

    for order in good:
        assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
        assert (fired(KIND_AUTOCONFIRM, order).outcome, fired(KIND_AUTOCONFIRM, order).attempts) == ("done", 1)
    waiting = fired(KIND_AUTOCONFIRM, bad)
    assert waiting.fired_at is None and waiting.attempts == 1 and waiting.due_at > now
    assert waiting.last_error.startswith("InsufficientFunds")
    assert Order.objects.get(pk=bad.pk).status == OrderStatus.DELIVERED
    assert not JournalEntry.objects.filter(kind="release", ref_id=bad.pk).exists()
    assert balance_of(codes.merchant_pending(shop.pk)) == 3 * 980


def test_a_batch_of_settlements_moves_each_orders_pending_to_available():
    shops = [make_shop() for _ in range(2)]
    orders = [delivered(shops[i % 2], 1000 + i) for i in range(5)]
    clock.advance(INSPECTION)
    deadlines_sweep_all()
    clock.advance(SETTLEMENT)
    deadlines_sweep_all()
    for order in orders:
        order.refresh_from_db()
        assert order.settled_at is not None
        assert fired(KIND_SETTLE, order).outcome == "done"
        assert JournalEntry.objects.filter(kind="settle", ref_id=order.pk).count() == 1
        assert OrderEvent.objects.filter(order=order, kind="settled").count() == 1
    for i, shop in enumerate(shops):
        expected = sum(o.amount - o.fee for k, o in enumerate(orders) if k % 2 == i)
        assert balance_of(codes.merchant_pending(shop.pk)) == 0
        assert balance_of(codes.merchant_available(shop.pk)) == expected
    assert platform_check().ok


def test_a_batch_of_expiries_closes_the_unpaid_and_leaves_the_paid():
    product = make_product(make_shop(), keys=3, price=500)
    unpaid = [buy(product)[0] for _ in range(2)]
    paid = pay(buy(product)[0])
    clock.advance(dt.timedelta(minutes=16))
    deadlines_sweep_all()
    for order in unpaid:
        assert Order.objects.get(pk=order.pk).status == OrderStatus.EXPIRED
        assert fired(KIND_EXPIRE, order).outcome == "done"
        assert OrderEvent.objects.filter(order=order, kind="expired", from_status="pending_payment").count() == 1
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.DELIVERED
    assert fired(KIND_EXPIRE, paid).outcome == "noop"


def test_a_sweep_takes_one_kind_the_oldest_due_first():
    shop = make_shop()
    order = delivered(shop, 1000)
    clock.advance(INSPECTION)
    unpaid, _, _ = buy(make_product(shop, keys=1))
    clock.advance(dt.timedelta(minutes=16))
    # Due now: the order's expiry (a no-op, oldest), its auto-confirm, the new order's expiry.
    assert deadlines_sweep() == 2  # both expiries
    assert fired(KIND_AUTOCONFIRM, order).fired_at is None
    assert deadlines_sweep() == 1  # then the auto-confirm
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert deadlines_sweep() == 1  # then the unpaid order's payment watch (the paid one's was dropped when it was paid)
    assert deadlines_sweep() == 0


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_four_sweepers_over_many_shops_never_deadlock(settings):
    """Batches that touch many merchants' accounts at once lock them in one order: concurrent
    sweepers wait for each other, never deadlock, and every deadline fires on its first try."""
    settings.KADUN_SWEEP_BATCH = 25
    shops = [make_shop() for _ in range(8)]
    products = [make_product(shop, keys=40, price=1000 + i) for i, shop in enumerate(shops)]

    def buy_and_pay(product):
        try:
            done = []
            for _ in range(40):
                order, _, _ = buy(product)
                assert notification_handle(provider="sandbox", params=signed_notification(order)) == "delivered"
                done.append(order.pk)
            return done
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        orders = [pk for chunk in pool.map(buy_and_pay, products) for pk in chunk]
    # Interleave the shops in due order, so every batch touches every shop.
    base = clock.now()
    for i, pk in enumerate(sorted(orders, key=lambda pk: (pk % 40, pk))):
        Deadline.objects.filter(kind=KIND_AUTOCONFIRM, subject_id=pk).update(due_at=base + dt.timedelta(hours=24, microseconds=i))
    clock.advance(dt.timedelta(hours=25))
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
        taken = sum(pool.map(sweeper, range(4)))
    assert taken == 2 * 320  # auto-confirms and the orders' (no-op) expiries, each taken once
    autoconfirms = Deadline.objects.filter(kind=KIND_AUTOCONFIRM, subject_id__in=orders)
    assert autoconfirms.filter(outcome="done", attempts=1).count() == 320
    assert Order.objects.filter(pk__in=orders, status=OrderStatus.CONFIRMED).count() == 320
    for i, shop in enumerate(shops):
        price = 1000 + i
        assert balance_of(codes.merchant_pending(shop.pk)) == 40 * (price - 20)
    assert platform_check().ok
