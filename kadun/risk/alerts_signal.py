"""The runaway signal fed by abnormal-order alerts (``abnormal_alerts`` in KADUN_RUNAWAY_SIGNALS):
which alerts are about a shop — its own (``shop``), or a lure repeated across shops that names it."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kadun.risk.models import RiskAlert
from kadun.risk.states import AlertKind, AlertResolution, AlertStatus

SHOP_KINDS = (AlertKind.SALES_SPIKE, AlertKind.PRICE_FLASH, AlertKind.INVALID_RATE_JUMP, AlertKind.ORDER_BURST, AlertKind.INVALID_CLAIMS)
COUNTED = Q(status=AlertStatus.OPEN) | Q(resolution=AlertResolution.CONFIRMED_FRAUD)


def shop_alert_facts(*, shop_id: int, since: dt.datetime) -> dict:
    """Alerts about the shop raised since a moment, open or closed as 确认欺诈 (a false positive or
    a handled alert does not count): {"alert_ids", "kinds"}."""
    recent = RiskAlert.objects.filter(COUNTED, created_at__gte=since)
    own = list(recent.filter(shop_id=shop_id, kind__in=SHOP_KINDS).values_list("pk", "kind"))
    lures = [(pk, kind) for pk, kind, details in recent.filter(kind=AlertKind.LURE_ACROSS_SHOPS).values_list("pk", "kind", "details")
             if shop_id in (details or {}).get("shop_ids", [])]
    rows = sorted(own + lures)
    return {"alert_ids": [pk for pk, _ in rows], "kinds": sorted({kind for _, kind in rows})}
