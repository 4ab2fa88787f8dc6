"""The staff console's risk page (风控): open alerts, what each one is about, and resolving it.

Only the ``risk`` and ``admin`` roles see it and resolve alerts (which, for an import-collision
alert, lifts the shop's import pause); other staff get 403, everyone else the console's 404.
Resolving records who and when.
"""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.views import staff_only
from kadun.core.errors import DomainError
from kadun.inventory.selectors import quarantined_lines
from kadun.risk import selectors as risk
from kadun.risk import services as risk_services
from kadun.risk.errors import AlertNotFound, NotRiskStaff

FINGERPRINT_SHOWN = 12
LINES_SHOWN = 200


def risk_only(view):
    """The console's 404 for non-staff; 403 for staff without the risk or admin role."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not risk_services.can_resolve(request.user):
            return render(request, "web/error.html", {"message": NotRiskStaff.message}, status=403)
        return view(request, *args, **kwargs)

    return staff_only(wrapper)


@risk_only
@require_safe
def alerts(request):
    return render(request, "backoffice/risk_alerts.html", {
        "alerts": risk.open_alerts()[:100], "resolved": risk.recently_resolved(), "section": "risk",
    })


def _alert(alert_id: int):
    try:
        return risk.alert_get(alert_id)
    except AlertNotFound:
        raise Http404 from None


@risk_only
@require_safe
def alert_detail(request, alert_id: int):
    alert = _alert(alert_id)
    ids = (alert.details or {}).get("quarantined_ids", [])
    lines = [
        {
            "at": q.created_at, "fingerprint": q.fingerprint[:FINGERPRINT_SHOWN], "shop": q.shop.name,
            "product": q.product.title, "batch_id": q.batch_id, "owner": q.owner_shop.name,
        }
        for q in quarantined_lines(ids[:LINES_SHOWN])
    ]
    return render(request, "backoffice/risk_alert.html", {
        "alert": alert, "lines": lines, "hidden": max(0, len(ids) - LINES_SHOWN), "section": "risk",
    })


@risk_only
@require_POST
def alert_resolve(request, alert_id: int):
    alert = _alert(alert_id)
    try:
        risk_services.alert_resolve(alert_id=alert.pk, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预警已处理，店铺的卡密导入已恢复。") if alert.kind == "import_collisions" else _("预警已处理。"))
    return redirect("backoffice:risk_alert", alert_id=alert.pk)
