"""信用分 pages: the public credit page of a shop (/s/<id>/credit/), the merchant's own credit page
(score, breakdown, how to raise it, penalties, appeal and contest forms), and the staff answer to
a score contest."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.merchants import selectors_penalties as penalties
from kadun.merchants.access import merchant_page
from kadun.merchants.penalty_rules import violation_name
from kadun.reputation import score, selectors, services


def _credit_context(shop) -> dict:
    row = selectors.score_row(shop.pk)
    history = selectors.history_of(shop.pk)
    return {
        "shop": shop, "credit": selectors.shop_credit(shop.pk), "row": row,
        "rows": selectors.breakdown_rows(row.components if row else {}),
        "deductions": (row.components or {}).get("deductions", {}) if row else {},
        "history": history, "chart": selectors.history_svg_points(history) if len(history) > 1 else None,
        "warnings": [(p, violation_name(p.kind)) for p in penalties.warnings_on_record(shop.pk, days=settings.KADUN_CREDIT_WARNING_DAYS)],
        "n": selectors.rules_numbers(),
    }


@require_safe
def shop_credit_page(request, shop_id: int):
    shop = penalties.shop_public(shop_id)
    if shop is None:
        raise Http404
    return render(request, "reputation/shop_credit.html", _credit_context(shop))


@merchant_page
@require_safe
def merchant_credit(request, shop):
    ctx = _credit_context(shop)
    ctx.update({
        "penalties": [(p, violation_name(p.kind)) for p in penalties.penalties_of_shop(shop.pk)],
        "contests": selectors.contests_of(shop.pk), "components": [(k, score.LABELS[k]) for k in score.COMPONENTS],
        "now": clock.now(),
    })
    return render(request, "reputation/merchant_credit.html", ctx)


@merchant_page
@require_POST
def contest_new(request, shop):
    try:
        services.contest_file(shop=shop, component=request.POST.get("component", ""), reason=request.POST.get("reason", ""))
        messages.success(request, _("申诉已提交，风控人员会尽快处理。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("reputation:merchant_credit")


@staff_only
@require_POST
def contest_answer(request, contest_id: int):
    try:
        services.contest_answer(contest_id=contest_id, staff=request.user, accept=request.POST.get("accept") == "1",
                                answer=request.POST.get("answer", ""))
        messages.success(request, _("已处理。"))
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/error.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
    return redirect("penalties:queue")
