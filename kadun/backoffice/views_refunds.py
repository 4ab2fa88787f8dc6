"""原路退款 in the staff console: refunds to the original payment the gateway has not finished —
需人工处理 (refused for good, or too often) first — with 重试 and 已线下退款. Every staff role
sees the queue; deciding on money is risk's and admin's (others get 404 on the actions)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.payments import refunds_staff
from kadun.payments.selectors_refunds import STAFF_FILTERS, attention_count, refunds_for_staff


@staff_only
@require_safe
def gateway_refunds(request):
    status = request.GET.get("status", "attention")
    status = status if status in STAFF_FILTERS else "attention"
    return render(request, "backoffice/gateway_refunds.html", {
        "section": "gateway_refunds", "rows": refunds_for_staff(status=status), "status": status, "filters": STAFF_FILTERS,
        "attention": attention_count(), "can_act": request.user.staff_role in refunds_staff.ACTING_ROLES,
    })


@staff_only
@require_POST
def gateway_refund_action(request, refund_id: int, action: str):
    if request.user.staff_role not in refunds_staff.ACTING_ROLES or action not in ("retry", "manual"):
        raise Http404
    try:
        if action == "retry":
            refunds_staff.refund_requeue(refund_id=refund_id, staff=request.user)
            messages.success(request, _("已重新提交给支付渠道。"))
        else:
            refunds_staff.refund_mark_manual(refund_id=refund_id, staff=request.user, reference=request.POST.get("reference", ""))
            messages.success(request, _("已记录为线下退款。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("backoffice:gateway_refunds"))
