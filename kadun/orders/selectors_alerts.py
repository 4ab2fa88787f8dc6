"""Reads risk's abnormal-order alerts (kadun.risk.alert_rules) take from orders: new orders after
a watermark, and counts of orders by source, shop and product in a time range. No other user's
data leaves here except ids, counts and times (and a guest order's contact, for risk staff)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Sum

from kadun.catalog.states import Delivery
from kadun.orders.models import Order

FIELDS = ("id", "buyer_id", "contact", "ip_hash", "device_hash", "shop_id", "product_id", "quantity", "created_at")


def orders_after(*, after_id: int, until: dt.datetime, limit: int) -> list[dict]:
    """Orders with id > after_id placed before ``until``, in id order."""
    return list(Order.objects.filter(pk__gt=after_id, created_at__lt=until).order_by("pk").values(*FIELDS)[:limit])


def orders_of_sources(*, buyer_ids: Iterable[int], contacts: Iterable[str], since: dt.datetime, until: dt.datetime,
                      ip_hashes: Iterable[str] = (), device_hashes: Iterable[str] = ()) -> list[dict]:
    """Orders of these buyer accounts, guest orders with these contacts, and orders placed from
    these addresses or devices (keyed hashes), in [since, until]. An order may come back once
    per source it matches."""
    rows: list[dict] = []
    span = {"created_at__gte": since, "created_at__lte": until}
    fields = ("id", "buyer_id", "contact", "ip_hash", "device_hash", "shop_id", "created_at")
    for where in ({"buyer_id__in": list(buyer_ids)}, {"buyer__isnull": True, "contact__in": list(contacts)},
                  {"ip_hash__in": [h for h in ip_hashes if h]}, {"device_hash__in": [h for h in device_hashes if h]}):
        values = next(v for k, v in where.items() if k.endswith("__in"))
        if values:
            rows += Order.objects.filter(**where, **span).values(*fields)
    return rows


def shop_product_counts(*, shop_ids: Iterable[int], since: dt.datetime, until: dt.datetime) -> dict[int, dict[int, int]]:
    """{shop_id: {product_id: orders placed in [since, until]}}."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (Order.objects.filter(shop_id__in=list(shop_ids), created_at__gte=since, created_at__lte=until)
            .values("shop_id", "product_id").annotate(n=Count("id")).order_by())
    for row in rows:
        out[row["shop_id"]][row["product_id"]] = row["n"]
    return out


def shop_order_counts(*, shop_ids: Iterable[int], since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    rows = (Order.objects.filter(shop_id__in=list(shop_ids), created_at__gte=since, created_at__lt=until)
            .values("shop_id").annotate(n=Count("id")).order_by())
    return {row["shop_id"]: row["n"] for row in rows}


def shop_order_ids(*, shop_id: int, product_ids: Iterable[int], since: dt.datetime, until: dt.datetime, limit: int) -> list[int]:
    return list(Order.objects.filter(shop_id=shop_id, product_id__in=list(product_ids), created_at__gte=since, created_at__lte=until)
                .order_by("-id").values_list("id", flat=True)[:limit])


def product_order_times(*, product_ids: Iterable[int], since: dt.datetime, until: dt.datetime) -> dict[int, list[tuple]]:
    """{product_id: [(created_at, order_id), …]} for orders placed in [since, until], in time order."""
    out: dict[int, list[tuple]] = defaultdict(list)
    rows = (Order.objects.filter(product_id__in=list(product_ids), created_at__gte=since, created_at__lte=until)
            .order_by("created_at", "id").values_list("product_id", "created_at", "id"))
    for pid, at, oid in rows:
        out[pid].append((at, oid))
    return out


def keys_bought(*, buyer_ids: Iterable[int], since: dt.datetime) -> dict[int, int]:
    """{buyer_id: keys bought (quantity of paid auto-delivery orders) since a moment}."""
    rows = (Order.objects.filter(buyer_id__in=list(buyer_ids), delivery=Delivery.AUTO, paid_at__isnull=False, created_at__gte=since)
            .values("buyer_id").annotate(n=Sum("quantity")).order_by())
    return {row["buyer_id"]: int(row["n"] or 0) for row in rows}
