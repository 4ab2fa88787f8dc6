"""Reads for risk: open alerts, one alert, and the restrictions alerts carry."""
from __future__ import annotations

import datetime as dt

from kadun.risk.errors import AlertNotFound
from kadun.risk.models import RiskAlert
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
