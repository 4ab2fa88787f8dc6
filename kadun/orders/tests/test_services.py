import datetime as dt

import pytest

from conftest import buy, make_product, make_user, pay
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db


def test_guest_purchase_delivers_one_key_and_holds_money_in_escrow(product):
    order, token, pay_url = buy(product, quantity=2)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.amount == 2000
    pay(order)
    assert order.status == OrderStatus.DELIVERED
    assert CardKey.objects.filter(order=order).count() == 2
    assert balance_of(codes.escrow(order.pk)) == 2000
    assert platform_check().ok


def test_inspection_window_end_confirms_and_settles_to_the_fen(shop):
    product = make_product(shop, keys=1, price=1999)
    order, _, _ = buy(product)
    pay(order)
    clock.advance(dt.timedelta(hours=24, seconds=1))
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.fee == 40  # 2% of 19.99 = 0.3998 -> 0.40
    assert balance_of(codes.escrow(order.pk)) == 0
    assert balance_of(codes.merchant_pending(shop.pk)) == 1959
    assert balance_of(codes.PLATFORM_FEES) == 40
    clock.advance(dt.timedelta(hours=72))
    deadlines_sweep_all()
    assert balance_of(codes.merchant_pending(shop.pk)) == 0
    assert balance_of(codes.merchant_available(shop.pk)) == 1959
    assert platform_check().ok


def test_unpaid_order_expires_after_fifteen_minutes(product):
    order, _, _ = buy(product)
    clock.advance(dt.timedelta(minutes=15, seconds=1))
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_logged_in_buyer_can_confirm(product):
    buyer = make_user()
    order, _, _ = buy(product, buyer=buyer)
    pay(order)
    from kadun.orders.services import order_confirm

    order_confirm(order_id=order.pk, actor="buyer", user=buyer)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
