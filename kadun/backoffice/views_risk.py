"""The staff console's risk page (风控): open alerts, what each one is about, and resolving it.

Every staff member may look; only the ``risk`` and ``admin`` roles may resolve (which, for an
import-collision alert, lifts the shop's import pause). Resolving records who and when.
"""
from __future__ import annotations

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
from kadun.risk.errors import AlertNotFound

FINGERPRINT_SHOWN = 12
LINES_SHOWN = 200


@staff_only
@require_safe
def alerts(request):
    return render(request, "backoffice/risk_alerts.html", {
        "alerts": risk.open_alerts()[:100], "resolved": risk.recently_resolved(), "section": "risk",
        "can_resolve": risk_services.can_resolve(request.user),
    })


def _alert(alert_id: int):
    try:
        return risk.alert_get(alert_id)
    except AlertNotFound:
        raise Http404 from None


@staff_only
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
        "can_resolve": risk_services.can_resolve(request.user),
    })


@staff_only
@require_POST
def alert_resolve(request, alert_id: int):
    alert = _alert(alert_id)
    try:
        risk_services.alert_resolve(alert_id=alert.pk, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/error.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预警已处理，店铺的卡密导入已恢复。") if alert.kind == "import_collisions" else _("预警已处理。"))
    return redirect("backoffice:risk_alert", alert_id=alert.pk)
