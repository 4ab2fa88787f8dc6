"""用后退款防护 pages: the published rules (/rules/buyers/), the buyer's own record with its facts
and a contest form (/account/record/), and for risk staff the buyer record (/staff/buyers/<key>/:
facts, signals as hash prefixes, contests) and the contests queue with accept / reject + note."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from kadun.core.errors import DomainError
from kadun.risk import abuse
from kadun.risk import selectors_abuse as reads
from kadun.risk.views_runaway import risk_only


@require_safe
def rules(request):
    return render(request, "risk/abuse_rules.html", {})


@never_cache
@login_required
def account_record(request):
    key = f"user:{request.user.pk}"
    error = ""
    if request.method == "POST":
        try:
            abuse.abuse_contest_open(user=request.user, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("申诉已提交，风控人员将尽快答复。"))
            return redirect("abuse:account_record")
    record = reads.record_of(key)
    return render(request, "risk/abuse_record.html", {
        "record": record, "facts": reads.facts_of(record), "contests": reads.contests_of(key), "t": reads.threshold(), "error": error,
        "reason": request.POST.get("reason", "") if error else "",
    }, status=400 if error else 200)


def _key_or_404(buyer_key: str) -> str:
    if not (buyer_key.startswith("user:") or buyer_key.startswith("contact:")) or len(buyer_key) > 80:
        raise Http404
    return buyer_key


@risk_only
@require_safe
def staff_buyer(request, buyer_key: str):
    key = _key_or_404(buyer_key)
    record = reads.record_of(key)
    return render(request, "risk/abuse_staff_buyer.html", {
        "record": record, "facts": reads.facts_of(record), "signals": reads.signals_of(key), "contests": reads.contests_of(key),
        "t": reads.threshold(), "section": "buyers",
    })


@risk_only
@require_safe
def staff_contests(request):
    return render(request, "risk/abuse_contests.html", {"contests": reads.open_contests(), "section": "buyers"})


@risk_only
@require_POST
def staff_contest_answer(request, contest_id: int):
    accept = request.POST.get("decision") == "accept"
    try:
        contest = abuse.abuse_contest_answer(contest_id=contest_id, actor=request.user, accept=accept, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("abuse:staff_contests")
    messages.success(request, _("申诉已采纳，记录已调整。") if accept else _("申诉已驳回，记录保持不变。"))
    return redirect("abuse:staff_buyer", contest.buyer_key)
