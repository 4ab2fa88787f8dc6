"""What the shop's public record (店铺档案, kadun.reputation) reads of the shops' orders: one
grouped scan per chunk of shops, never at page time (the record is a precomputed row)."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from kadun.orders.models import Order


def record_order_figures(*, shop_ids, since: dt.datetime, short_since: dt.datetime) -> dict[int, dict]:
    """Per shop: orders paid since ``since`` (``paid``), of them with any refund (``refunded``,
    refunded_amount > 0), and orders confirmed since ``since`` / ``short_since`` (成交量)."""
    shop_ids = list(shop_ids)
    out = {sid: {"paid": 0, "refunded": 0, "confirmed": 0, "confirmed_short": 0} for sid in shop_ids}
    paid, confirmed = Q(paid_at__gte=since), Q(confirmed_at__gte=since)
    rows = (Order.objects.filter(shop_id__in=shop_ids).filter(paid | confirmed).values("shop_id")
            .annotate(paid=Count("id", filter=paid), refunded=Count("id", filter=paid & Q(refunded_amount__gt=0)),
                      confirmed=Count("id", filter=confirmed), confirmed_short=Count("id", filter=Q(confirmed_at__gte=short_since))))
    for r in rows:
        out[r["shop_id"]] = {k: r[k] for k in ("paid", "refunded", "confirmed", "confirmed_short")}
    return out
