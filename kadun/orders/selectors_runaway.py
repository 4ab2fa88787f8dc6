"""Reads 跑路 protection takes from orders: the manual orders paid and not delivered, when the
merchant last acted on an order, and the orders a runaway disposal refunds."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Min, Q

from kadun.catalog.states import Delivery
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import Actor, OrderStatus

S = OrderStatus
OPEN_HELD = (S.PAID, S.IN_SERVICE, S.DELIVERED)  # the buyer's money still in escrow


def queued_manual(*, shop_id: int) -> dict:
    """Manual-delivery (服务) orders paid and not yet delivered: how many, and since when."""
    row = Order.objects.filter(shop_id=shop_id, delivery=Delivery.MANUAL, status__in=[S.PAID, S.IN_SERVICE]).aggregate(
        n=Count("pk"), oldest=Min("paid_at"),
    )
    return {"count": row["n"] or 0, "oldest_paid_at": row["oldest"]}


def last_merchant_action_at(*, shop_id: int) -> dt.datetime | None:
    """The last order event the merchant wrote (接单, delivery, a milestone, a refund …)."""
    return OrderEvent.objects.filter(order__shop_id=shop_id, actor=Actor.MERCHANT).aggregate(at=Max("at"))["at"]


def disposal_orders(*, shop_id: int, now: dt.datetime, max_days: int) -> list[tuple[int, int]]:
    """(order id, amount still refundable) of every order of the shop a runaway disposal refunds:
    the money still in escrow (paid, in service, delivered), or confirmed and still within its
    after-sales window (the frozen rules' refund_window_hours after delivery, or the 售后保险
    protection period of an insured order if that ends later), or held by an open refund request
    or case."""
    from kadun.insurance.selectors import protection_days_of_shop

    since = now - dt.timedelta(days=max_days)
    covered = protection_days_of_shop(shop_id)
    rows = Order.objects.filter(
        Q(status__in=OPEN_HELD) | Q(status=S.CONFIRMED, refund_hold=True) | Q(status=S.CONFIRMED, delivered_at__gte=since),
        shop_id=shop_id,
    ).values_list("pk", "status", "amount", "refunded_amount", "refund_hold", "delivered_at", "policy_snapshot").order_by("pk")
    out = []
    for pk, status, amount, refunded, hold, delivered_at, snapshot in rows.iterator(chunk_size=2000):
        left = amount - refunded
        if left <= 0:
            continue
        if status == S.CONFIRMED and not hold:
            hours = ((snapshot or {}).get("rules") or {}).get("refund_window_hours") or 0
            hours = max(hours, 24 * covered.get(pk, 0))
            if delivered_at is None or delivered_at + dt.timedelta(hours=hours) < now:
                continue
        out.append((pk, left))
    return out


def order_summaries(order_ids: list[int]) -> dict[int, dict]:
    rows = Order.objects.filter(pk__in=order_ids).values("pk", "order_no", "title", "amount", "status", "buyer_id", "contact")
    return {r["pk"]: r for r in rows}
