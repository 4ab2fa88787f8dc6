"""Reads 跑路 protection takes from aftersales: refund requests opened against a shop in a
window, and the keys buyers reported invalid."""
from __future__ import annotations

import datetime as dt

from kadun.aftersales.models import RefundRequest
from kadun.aftersales.states import Reason


def requests_since(*, shop_id: int, since: dt.datetime) -> int:
    return RefundRequest.objects.filter(shop_id=shop_id, created_at__gte=since).count()


def invalid_key_ids(*, shop_id: int, since: dt.datetime) -> set[int]:
    """Keys named by refund requests with reason invalid_key (卡密无效/已被使用)."""
    ids: set[int] = set()
    for key_ids in RefundRequest.objects.filter(shop_id=shop_id, created_at__gte=since, reason=Reason.INVALID_KEY).values_list("key_ids", flat=True):
        ids.update(int(k) for k in key_ids or [])
    return ids
