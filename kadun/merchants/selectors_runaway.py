"""Reads 跑路 protection (kadun.risk.runaway_signals) takes from merchants: the shop's recorded
breaches in a window, and when its owner last logged in."""
from __future__ import annotations

import datetime as dt

from kadun.merchants.models import Breach, Shop


def breaches_since(*, shop_id: int, since: dt.datetime, kinds: tuple[str, ...]) -> list[dict]:
    rows = Breach.objects.filter(shop_id=shop_id, at__gte=since, kind__in=list(kinds)).order_by("-at")
    return [{"kind": b.kind, "order_id": b.order_id, "note": b.note, "at": b.at.isoformat()} for b in rows[:50]]


def owner_last_login(shop_id: int) -> dt.datetime | None:
    return Shop.objects.filter(pk=shop_id).values_list("owner__last_login", flat=True).first()


def shop_brief(shop_id: int) -> dict | None:
    row = Shop.objects.filter(pk=shop_id).values("pk", "name", "owner_id", "created_at").first()
    return row
