"""Writes for risk: raising an alert (idempotent per kind and subject) and resolving one."""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.risk.errors import AlertAlreadyResolved, AlertNotFound, NotRiskStaff
from kadun.risk.models import RiskAlert
from kadun.risk.states import AlertStatus

log = logging.getLogger("kadun.risk")
RISK_ROLES = ("risk",)  # admins too (User.has_staff_role)


def alert_raise(*, kind: str, subject: str, shop_id: int | None = None, details: dict | None = None) -> tuple[RiskAlert, bool]:
    """Open an alert, or return the one already open for this kind and subject (the unique
    index decides between two raised at once). Returns (alert, created)."""
    subject = subject[:80]
    for _ in range(3):
        try:
            with transaction.atomic():
                alert = RiskAlert.objects.create(kind=kind, subject=subject, shop_id=shop_id, details=details or {}, created_at=clock.now())
        except IntegrityError:
            existing = RiskAlert.objects.filter(kind=kind, subject=subject, status=AlertStatus.OPEN).first()
            if existing is not None:
                return existing, False
            continue  # resolved in between: raise it again
        log.warning("risk alert %s #%s raised for %s", kind, alert.pk, subject)
        return alert, True
    raise RuntimeError("risk alert could not be raised")


def can_resolve(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_staff_role(*RISK_ROLES))


def alert_resolve(*, alert_id: int, actor, note: str = "") -> RiskAlert:
    """Risk staff close an alert (which lifts what it restricted, e.g. a shop's import pause).
    Who and when are recorded on the alert; a second resolve is refused."""
    if not can_resolve(actor):
        raise NotRiskStaff()
    if not RiskAlert.objects.filter(pk=alert_id).exists():
        raise AlertNotFound()
    done = RiskAlert.objects.filter(pk=alert_id, status=AlertStatus.OPEN).update(
        status=AlertStatus.RESOLVED, resolved_by=actor, resolved_at=clock.now(), resolution_note=(note or "").strip()[:500],
    )
    if done != 1:
        raise AlertAlreadyResolved()
    log.warning("risk alert #%s resolved by user #%s", alert_id, actor.pk)
    return RiskAlert.objects.select_related("shop", "resolved_by").get(pk=alert_id)
