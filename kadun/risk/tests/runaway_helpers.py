"""Builders for the 跑路 tests: orders at each stage of the money's way (escrow, pending,
available), complaints, and running the sweeper."""
from __future__ import annotations

import datetime as dt

from conftest import buy, make_product, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post
from kadun.orders.models import Order
from kadun.orders.services import order_confirm


def delivered(product, buyer=None) -> Order:
    order, _, _ = buy(product, buyer=buyer)
    return pay(order)


def confirmed(product) -> Order:
    order = delivered(product)
    order_confirm(order_id=order.pk, actor="buyer")
    return Order.objects.get(pk=order.pk)


def settle_all() -> None:
    clock.advance(dt.timedelta(hours=73))
    deadlines_sweep_all()


def drain_available(shop_id: int, amount: int) -> None:
    """The merchant took money out (as a withdrawal would): available → outside."""
    entry_post(kind="test_payout", idempotency_key=f"test_payout:{shop_id}:{amount}",
               lines=[(f"merchant:{shop_id}:available", -amount), ("external:payout", amount)])


def balances(shop_id: int, orders) -> dict[str, int]:
    codes = [f"merchant:{shop_id}:pending", f"merchant:{shop_id}:available", f"merchant:{shop_id}:debt", "platform:fees",
             "platform:advance", "external:sandbox"] + [f"escrow:order:{o.pk}" for o in orders]
    return {c: balance_of(c) for c in codes}


def auto_shop_product(keys: int = 20, price: int = 1000):
    return make_product(keys=keys, price=price)
