"""Reads risk's abnormal-order alerts take from aftersales: new refund requests with reason
卡密无效 after a watermark, and the keys buyers reported invalid per buyer and per product."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kadun.aftersales.models import RefundRequest
from kadun.aftersales.states import Reason

FIELDS = ("id", "order_id", "shop_id", "key_ids", "created_at", "order__buyer_id", "order__product_id", "order__quantity")


def _row(r: dict) -> dict:
    keys = [int(k) for k in r["key_ids"] or []]
    return {"id": r["id"], "order_id": r["order_id"], "shop_id": r["shop_id"], "key_ids": keys, "created_at": r["created_at"],
            "buyer_id": r["order__buyer_id"], "product_id": r["order__product_id"], "keys": len(keys) or r["order__quantity"]}


def invalid_requests_after(*, after_id: int, until: dt.datetime, limit: int) -> list[dict]:
    """Refund requests with reason invalid_key, id > after_id, made before ``until``, in id order;
    ``keys``: how many keys the request names (the order's quantity when it names none)."""
    rows = (RefundRequest.objects.filter(pk__gt=after_id, created_at__lt=until, reason=Reason.INVALID_KEY)
            .order_by("pk").values(*FIELDS)[:limit])
    return [_row(r) for r in rows]


def invalid_requests_of_buyers(*, buyer_ids: Iterable[int], since: dt.datetime) -> list[dict]:
    rows = RefundRequest.objects.filter(order__buyer_id__in=list(buyer_ids), created_at__gte=since, reason=Reason.INVALID_KEY).values(*FIELDS)
    return [_row(r) for r in rows]


def invalid_requests_of_products(*, product_ids: Iterable[int], since: dt.datetime) -> list[dict]:
    rows = RefundRequest.objects.filter(order__product_id__in=list(product_ids), created_at__gte=since, reason=Reason.INVALID_KEY).values(*FIELDS)
    return [_row(r) for r in rows]
