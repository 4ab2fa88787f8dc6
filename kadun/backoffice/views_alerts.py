"""The staff console's abnormal-order alert queue (异常订单预警): alerts filtered by kind, status
and assignee, the published rules, and "assign to me" / take over. The alert's page
(views_risk.alert_detail) shows its facts with links and closes it with a resolution.

Only the ``risk`` and ``admin`` roles; other staff 403, everyone else the console's 404."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.views_risk import risk_only
from kadun.core.errors import DomainError
from kadun.risk import alerts as alert_services
from kadun.risk import selectors_alerts
from kadun.risk.errors import AlertNotFound


@risk_only
@require_safe
def queue(request):
    kind, status, assignee = request.GET.get("kind", ""), request.GET.get("status", "open"), request.GET.get("assignee", "")
    alerts = selectors_alerts.alert_queue(
        kind=kind, status=status, unassigned=assignee == "none", assignee_id=request.user.pk if assignee == "me" else None,
    )
    return render(request, "backoffice/risk_alert_queue.html", {
        "alerts": alerts, "kind": kind, "status": status, "assignee": assignee, "section": "alerts",
        "rules": selectors_alerts.published_rules(), **selectors_alerts.filter_choices(),
    })


@risk_only
@require_POST
def assign(request, alert_id: int):
    try:
        alert_services.alert_assign(alert_id=alert_id, actor=request.user, take_over=request.POST.get("take_over") == "1")
    except AlertNotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已认领该预警。"))
    return redirect("backoffice:risk_alert", alert_id=alert_id)
