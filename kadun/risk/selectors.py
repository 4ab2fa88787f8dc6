"""Reads for risk: open alerts, one alert, and the restrictions alerts carry; off-platform lures
in a text (for a page's warning) and the lure flags for risk staff."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kadun.risk.errors import AlertNotFound, LureFlagNotFound
from kadun.risk.lures import Lure, find_lures, order_allowances  # noqa: F401  (order_allowances: for callers of lure_check)
from kadun.risk.models import LureFlag, RiskAlert
from kadun.risk.states import AlertKind, AlertStatus


def shop_subject(shop_id: int) -> str:
    return f"shop:{shop_id}"


def open_alerts():
    return RiskAlert.objects.filter(status=AlertStatus.OPEN).select_related("shop").order_by("-id")


def recently_resolved(limit: int = 20):
    return RiskAlert.objects.filter(status=AlertStatus.RESOLVED).select_related("shop", "resolved_by").order_by("-resolved_at", "-id")[:limit]


def alert_get(alert_id: int) -> RiskAlert:
    alert = RiskAlert.objects.select_related("shop", "resolved_by").filter(pk=alert_id).first()
    if alert is None:
        raise AlertNotFound()
    return alert


def imports_paused(shop_id: int) -> bool:
    """A shop's key imports are paused while an import-collision alert about it is open."""
    return RiskAlert.objects.filter(
        kind=AlertKind.IMPORT_COLLISIONS, subject=shop_subject(shop_id), status=AlertStatus.OPEN
    ).exists()


def imports_last_lifted(shop_id: int) -> dt.datetime | None:
    """When risk staff last lifted the shop's import pause (collisions before it are forgiven)."""
    return (
        RiskAlert.objects.filter(kind=AlertKind.IMPORT_COLLISIONS, subject=shop_subject(shop_id), status=AlertStatus.RESOLVED)
        .order_by("-resolved_at").values_list("resolved_at", flat=True).first()
    )


def lures_in(text: str, *, allow: Iterable[str] = ()) -> list[Lure]:
    """The off-platform lures in a text, for a page's warning; writes nothing."""
    return find_lures(text, allow=allow)


def lure_flags(*, reviewed: bool | None = None, author_id: int | None = None, shop_id: int | None = None):
    """Lure flags for risk staff, newest first (who wrote it, where, the text)."""
    flags = LureFlag.objects.select_related("author", "shop", "reviewed_by").order_by("-id")
    if reviewed is not None:
        flags = flags.filter(reviewed_at__isnull=not reviewed)
    if author_id is not None:
        flags = flags.filter(author_id=author_id)
    if shop_id is not None:
        flags = flags.filter(shop_id=shop_id)
    return flags


def lure_flag_get(flag_id: int) -> LureFlag:
    flag = LureFlag.objects.select_related("author", "shop", "reviewed_by").filter(pk=flag_id).first()
    if flag is None:
        raise LureFlagNotFound()
    return flag


def lure_count(*, author_id: int, since: dt.datetime) -> int:
    """How many times an author was flagged since a moment (governance counts repeats)."""
    return LureFlag.objects.filter(author_id=author_id, created_at__gte=since).count()
