"""The staff console's risk page (风控): open alerts, what each one is about, and resolving it;
the off-platform lures (脱离平台交易) flagged in what people wrote, and marking them reviewed.

Only the ``risk`` and ``admin`` roles see it and resolve alerts (which, for an import-collision
alert, lifts the shop's import pause); other staff get 403, everyone else the console's 404.
Resolving and reviewing record who and when.
"""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.views import staff_only
from kadun.cases.selectors import case_numbers
from kadun.core.errors import DomainError
from kadun.inventory.selectors import quarantined_lines
from kadun.orders.selectors import order_numbers
from kadun.risk import selectors as risk
from kadun.risk import services as risk_services
from kadun.risk.errors import AlertNotFound, LureFlagNotFound, NotRiskStaff
from kadun.risk.states import AlertKind, LureKind

FINGERPRINT_SHOWN = 12
LINES_SHOWN = 200
LURE_FLAGS_SHOWN = 100


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
        "lure_flags": _lure_rows(risk.lure_flags(reviewed=False)[:LURE_FLAGS_SHOWN]),
        "lure_reviewed": _lure_rows(risk.lure_flags(reviewed=True)[:20]),
    })


def _subject_id(subject: str, kind: str) -> int | None:
    named, _, ident = subject.partition(":")
    return int(ident) if named == kind and ident.isdigit() else None


def _subject_link(subject: str, orders: dict[int, str], cases: dict[int, str] | None = None) -> str:
    """Where staff look at what a flagged text belongs to (an order, a product, a case)."""
    kind, _, ident = subject.partition(":")
    if not ident.isdigit():
        return ""
    try:
        if kind == "order" and int(ident) in orders:
            return reverse("backoffice:order", args=[orders[int(ident)]])
        if kind == "product":
            return reverse("web:product", args=[int(ident)])
        if kind == "case" and cases and int(ident) in cases:
            return reverse("cases:staff_case", args=[cases[int(ident)]])
    except NoReverseMatch:  # no staff page for it (yet)
        pass
    return ""


def _lure_rows(flags) -> list[dict]:
    flags = list(flags)
    orders = order_numbers({i for i in (_subject_id(f.subject, "order") for f in flags) if i is not None})
    cases = case_numbers({i for i in (_subject_id(f.subject, "case") for f in flags) if i is not None})
    return [
        {"flag": f, "link": _subject_link(f.subject, orders, cases), "kinds": [str(LureKind(k).label) for k in f.kinds if k in LureKind.values]}
        for f in flags
    ]


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
    author = alert.subject.removeprefix("user:")
    lure_flags = (
        _lure_rows(risk.lure_flags(author_id=int(author))[:LURE_FLAGS_SHOWN])
        if alert.kind == AlertKind.OFF_PLATFORM_LURE and author.isdigit() else []
    )
    return render(request, "backoffice/risk_alert.html", {
        "alert": alert, "lines": lines, "hidden": max(0, len(ids) - LINES_SHOWN), "section": "risk", "lure_flags": lure_flags,
    })


@risk_only
@require_POST
def alert_resolve(request, alert_id: int):
    alert = _alert(alert_id)
    try:
        risk_services.alert_resolve(alert_id=alert.pk, actor=request.user, note=request.POST.get("note", ""),
                                    resolution=request.POST.get("resolution") or "handled")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预警已处理，店铺的卡密导入已恢复。") if alert.kind == "import_collisions" else _("预警已处理。"))
    return redirect("backoffice:risk_alert", alert_id=alert.pk)


@risk_only
@require_POST
def lure_review(request, flag_id: int):
    try:
        risk_services.lure_flag_review(flag_id=flag_id, actor=request.user, note=request.POST.get("note", ""))
    except LureFlagNotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已标记为已审核。"))
    return redirect(reverse("backoffice:risk") + "#lure-flags")
