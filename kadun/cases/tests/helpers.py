"""Builders for case tests: a paid and delivered order, staff of each role, moving the clock."""
from __future__ import annotations

import datetime as dt

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all


def delivered_order(*, price: int = 1000, quantity: int = 1, buyer=None, shop=None, delivery: str = "auto", keys: int = 5):
    """A paid order: auto keys are delivered at once; a manual service is accepted and delivered."""
    from kadun.orders.services import order_accept, order_deliver

    shop = shop or make_shop()
    buyer = buyer if buyer is not None else make_user()
    product = make_product(shop, keys=keys if delivery == "auto" else 0, price=price, delivery=delivery)
    extra = {} if delivery == "auto" else {"buyer_inputs": {"account": "player-1"}}
    order, _token, _url = buy(product, buyer=buyer or None, quantity=quantity, **extra)
    order = pay(order)
    if delivery == "manual":
        order_accept(order=order, shop=shop)
        order_deliver(order=order, shop=shop, note="已完成代充")
        order.refresh_from_db()
    return order


def staff(role: str):
    return make_user(staff_role=role)


def later(**delta):
    """Move the clock on and fire whatever fell due."""
    clock.advance(dt.timedelta(**delta))
    return deadlines_sweep_all()
