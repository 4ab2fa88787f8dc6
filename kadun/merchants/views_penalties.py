"""处罚 pages: the merchant's appeal, and the staff console's penalties (proposed queue, confirm /
dismiss with a reason, a penalty's detail with its rule, evidence and audit trail, filing one,
and the appeals assigned to someone other than the one who confirmed). Risk and admin staff only
(others 403, non-staff the console's 404)."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.merchants import penalties, penalties_appeals
from kadun.merchants import selectors_penalties as reads
from kadun.merchants.access import merchant_page
from kadun.merchants.penalties_errors import NotPenaltyStaff
from kadun.merchants.penalty_rules import VIOLATIONS, violation_name


def penalty_staff(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not penalties.can_decide(request.user):
            return render(request, "web/error.html", {"message": NotPenaltyStaff.message}, status=403)
        return view(request, *args, **kwargs)

    return staff_only(wrapper)


def _act(request, fn, done: str):
    try:
        fn()
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)


@merchant_page
@require_POST
def appeal_new(request, shop, penalty_id: int):
    try:
        penalties_appeals.appeal_file(shop=shop, penalty_id=penalty_id, reason=request.POST.get("reason", ""))
        messages.success(request, _("申诉已提交，将由未参与原处罚决定的工作人员处理。"))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    return redirect("reputation:merchant_credit")


@penalty_staff
@require_safe
def queue(request):
    from kadun.reputation import selectors as credit

    return render(request, "merchants/staff_penalties.html", {
        "section": "penalties", "proposed": [(p, violation_name(p.kind)) for p in reads.proposed_queue()[:100]],
        "appeals": list(reads.appeals_queue(staff=request.user)[:100]), "decided": [(p, violation_name(p.kind)) for p in reads.recently_decided()],
        "contests": list(credit.open_contests()[:100]), "violations": [(k, v[0]) for k, v in VIOLATIONS.items()],
    })


@penalty_staff
@require_safe
def detail(request, penalty_id: int):
    penalty = reads.penalty_get(penalty_id)
    appeal = getattr(penalty, "appeal", None) if hasattr(penalty, "appeal") else None
    return render(request, "merchants/staff_penalty.html", {
        "section": "penalties", "penalty": penalty, "name": violation_name(penalty.kind), "events": reads.events_of(penalty), "appeal": appeal,
        "definition": VIOLATIONS.get(penalty.kind, ("", ""))[1], "may_decide_appeal": appeal is not None and penalty.decided_by_id != request.user.pk,
    })


@penalty_staff
@require_POST
def confirm(request, penalty_id: int):
    _act(request, lambda: penalties.penalty_confirm(penalty_id=penalty_id, staff=request.user, reason=request.POST.get("reason", ""),
                                                    fine=_fen(request.POST.get("fine_yuan"))), _("处罚已确认。"))
    return redirect("penalties:detail", penalty_id=penalty_id)


@penalty_staff
@require_POST
def dismiss(request, penalty_id: int):
    _act(request, lambda: penalties.penalty_dismiss(penalty_id=penalty_id, staff=request.user, reason=request.POST.get("reason", "")), _("已驳回。"))
    return redirect("penalties:detail", penalty_id=penalty_id)


@penalty_staff
@require_POST
def propose(request):
    def ids(name):
        return [int(x) for x in request.POST.get(name, "").replace("，", ",").split(",") if x.strip().isdigit()]

    def do():
        shop_id = int(request.POST.get("shop_id") or 0)
        if reads.shop_public(shop_id) is None:
            raise penalties.PenaltyNotPending("shop_not_found", "店铺不存在。", status=404)
        penalties.penalty_propose(shop_id=shop_id, kind=request.POST.get("kind", ""), note=request.POST.get("note", ""), proposed_by=request.user,
                                  evidence={"orders": ids("orders"), "cases": ids("cases"), "breaches": ids("breaches")})

    _act(request, do, _("处罚提议已创建，待审核。"))
    return redirect("penalties:queue")


@penalty_staff
@require_POST
def appeal_decide(request, appeal_id: int):
    try:
        appeal = penalties_appeals.appeal_decide(appeal_id=appeal_id, staff=request.user, overturn=request.POST.get("overturn") == "1",
                                                 reason=request.POST.get("reason", ""))
        messages.success(request, _("申诉已处理。"))
        return redirect("penalties:detail", penalty_id=appeal.penalty_id)
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/error.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
    return redirect("penalties:queue")


def _fen(yuan) -> int:
    try:
        return max(0, round(float(yuan or 0) * 100))
    except ValueError:
        return 0
