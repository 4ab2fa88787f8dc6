"""Builders for the 售后保险 tests: a shop in a credit band, the pool funded, insured orders at
each stage, and the ledger check."""
from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from conftest import buy, make_product, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post
from kadun.orders.models import Order
from kadun.orders.services import order_confirm

POOL = "platform:insurance_pool"


def set_score(shop, score: int) -> None:
    from kadun.reputation.models import ShopScore

    ShopScore.objects.update_or_create(shop=shop, defaults={"score": score, "provisional": False, "computed_at": clock.now()})


def fund_pool(amount: int) -> None:
    """The pool as many earlier premiums would have left it (a test entry, as drain_available is)."""
    entry_post(kind="test_pool_seed", idempotency_key=f"test_pool_seed:{amount}:{clock.now().timestamp()}",
               lines=[("external:seed", -amount), (POOL, amount)])


def drain_available(shop_id: int) -> None:
    """The merchant took everything out (as a withdrawal would): available → outside."""
    amount = balance_of(f"merchant:{shop_id}:available")
    if amount:
        entry_post(kind="test_payout", idempotency_key=f"test_payout:{shop_id}:{clock.now().timestamp()}",
                   lines=[(f"merchant:{shop_id}:available", -amount), ("external:payout", amount)])


def delivered(product, *, insure: bool, buyer=None) -> Order:
    order, _, _ = buy(product, buyer=buyer, insure=insure)
    return pay(order)


def settled(product, *, insure: bool) -> Order:
    """Delivered, confirmed by the buyer and settled: the merchant's money is in available."""
    order = delivered(product, insure=insure)
    order_confirm(order_id=order.pk, actor="buyer")
    clock.advance(dt.timedelta(hours=73))
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.settled_at is not None
    return order


def runaway_product(price: int = 1000):
    return make_product(keys=10, price=price)


def ledger_clean() -> bool:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
    except SystemExit as exc:
        assert exc.code == 0, err.getvalue()
    return True
