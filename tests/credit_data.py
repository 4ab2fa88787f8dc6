"""Orders written directly for credit-score tests (confirmed within the window, no ledger)."""
from __future__ import annotations

import datetime as dt
import itertools

from kadun.core import clock

_seq = itertools.count(1)


def confirmed_orders(shop, n: int, *, delivery: str = "auto", late: int = 0, product=None):
    """``n`` orders of the shop paid and confirmed just now; with ``delivery="manual"``, ``late``
    of them delivered after their 24-hour deadline."""
    from conftest import make_product
    from kadun.orders.models import Order

    product = product or make_product(shop, delivery=delivery)
    now = clock.now()
    rows = []
    for i in range(n):
        k = next(_seq)
        paid = now - dt.timedelta(hours=30)
        delivered = paid + dt.timedelta(hours=25 if i < late else 2)
        rows.append(Order(
            order_no=f"CR{k:010d}", access_token_hash=f"cr{k:062d}", shop=shop, product=product, title="t", delivery=delivery,
            quantity=1, unit_price=1000, amount=1000, inspection_hours=24, status="confirmed",
            policy_snapshot={"rules": {"delivery_deadline_hours": 24}}, created_at=paid, expires_at=paid, paid_at=paid,
            delivered_at=delivered, confirmed_at=now,
        ))
    return Order.objects.bulk_create(rows)
