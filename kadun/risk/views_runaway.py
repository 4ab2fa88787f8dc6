"""The staff console's 跑路 pages (risk and admin only; other staff 403, everyone else the
console's 404): shops scoring on the runaway signals with the facts behind each, frozen shops,
freeze / unfreeze with a reason, 跑路处置 declared with a confirmation (the shop's name), the
mass refund's progress and the report of what came from where (also as CSV)."""
from __future__ import annotations

import csv
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from kadun.core.errors import DomainError
from kadun.core.money import fen_to_yuan
from kadun.merchants import selectors_runaway as merchant_reads
from kadun.risk import runaway, runaway_disposal
from kadun.risk import selectors_freeze as freezes
from kadun.risk.errors import NotRiskStaff
from kadun.risk.selectors import open_alerts
from kadun.risk.services import can_resolve
from kadun.risk.states import AlertKind, JobStatus, RunawaySignal

REPORT_ROWS_SHOWN = 200


def risk_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and getattr(user, "staff_role", "")):
            raise Http404
        if not can_resolve(user):
            return render(request, "web/error.html", {"message": NotRiskStaff.message}, status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _signal_rows(details: dict) -> list[dict]:
    rows = []
    for s in (details or {}).get("signals", []):
        try:
            label = str(RunawaySignal(s["name"]).label)
        except ValueError:
            label = s["name"]
        rows.append({**s, "label": label})
    return rows


@risk_only
@require_safe
def runaway_home(request):
    alerts = [a for a in open_alerts()[:200] if a.kind == AlertKind.RUNAWAY]
    return render(request, "risk/runaway_home.html", {
        "section": "runaway", "alerts": alerts, "watched": freezes.watched(), "frozen": freezes.freezes(current=True)[:100],
    })


def _shop_or_404(shop_id: int) -> dict:
    brief = merchant_reads.shop_brief(shop_id)
    if brief is None:
        raise Http404
    return brief


@risk_only
@require_safe
def runaway_shop(request, shop_id: int):
    shop = _shop_or_404(shop_id)
    watch = freezes.watch_of(shop_id)
    disposal = freezes.disposal_of(shop_id)
    report = runaway_disposal.disposal_report(disposal) if disposal else None
    return render(request, "risk/runaway_shop.html", {
        "section": "runaway", "shop": shop, "watch": watch, "signals": _signal_rows(watch.signals if watch else {}),
        "freeze": freezes.freeze_of(shop_id), "disposal": disposal, "progress": freezes.disposal_progress(disposal) if disposal else None,
        "report": report, "report_rows": report["rows"][:REPORT_ROWS_SHOWN] if report else [], "shown": REPORT_ROWS_SHOWN,
    })


def _act(request, shop_id: int, action, done: str):
    _shop_or_404(shop_id)
    try:
        action()
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("risk:runaway_shop", shop_id=shop_id)


@risk_only
@require_POST
def runaway_freeze(request, shop_id: int):
    return _act(request, shop_id, lambda: runaway.shop_freeze(shop_id=shop_id, reason=request.POST.get("reason", ""), actor=request.user),
                _("店铺已冻结。"))


@risk_only
@require_POST
def runaway_unfreeze(request, shop_id: int):
    return _act(request, shop_id, lambda: runaway.shop_unfreeze(shop_id=shop_id, actor=request.user, note=request.POST.get("note", "")),
                _("店铺已解冻，自动确认收货已恢复。"))


@risk_only
@require_POST
def runaway_declare(request, shop_id: int):
    return _act(request, shop_id, lambda: runaway_disposal.runaway_declare(
        shop_id=shop_id, actor=request.user, reason=request.POST.get("reason", ""), notice=request.POST.get("notice", ""),
        confirm_name=request.POST.get("confirm_name", ""),
    ), _("已宣告跑路处置，系统正在为买家全额退款。"))


@risk_only
@require_safe
def runaway_report_csv(request, shop_id: int):
    _shop_or_404(shop_id)
    disposal = freezes.disposal_of(shop_id)
    if disposal is None:
        raise Http404
    report = runaway_disposal.disposal_report(disposal)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="runaway-shop-{shop_id}.csv"'
    response.write("\ufeff")
    out = csv.writer(response)
    out.writerow(["order_no", "status", "refunded_yuan", *report["sources"]])
    for row in report["rows"]:
        out.writerow([row["order_no"], row["status"], fen_to_yuan(row["amount"]), *[fen_to_yuan(row["sources"][s]) for s in report["sources"]]])
    out.writerow(["TOTAL", JobStatus.REFUNDED, fen_to_yuan(report["refunded"]), *[fen_to_yuan(report["totals"][s]) for s in report["sources"]]])
    return response
