"""The buyer's refund actions, all posted from the order page (which they render again when a
request is refused). The refund rules are aftersales': these pages call its services."""
from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kadun.aftersales import selectors, services
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.states import Outcome, Reason
from kadun.core.errors import DomainError
from kadun.inventory.selectors import active_keys_of_order
from kadun.orders.selectors import BUYER, viewer_of
from kadun.web.views import _access, _order_context


def _buyer_order(request, order_no: str):
    order, role = _access(request, order_no)
    if role != BUYER:
        raise Http404
    return order


def _announce(request, refund_request) -> None:
    level = {Outcome.APPROVE: messages.SUCCESS, Outcome.ASK_MERCHANT: messages.INFO}.get(refund_request.outcome, messages.WARNING)
    messages.add_message(request, level, refund_request.explanation)


@require_POST
def request_create(request, order_no: str):
    order = _buyer_order(request, order_no)
    try:
        refund_request = services.refund_request_create(
            order=order,
            reason=request.POST.get("reason", ""),
            statement=request.POST.get("statement", ""),
            key_ids=request.POST.getlist("key_ids"),
            images=request.FILES.getlist("images"),
            destination=request.POST.get("destination", "source"),
            client_key=request.POST.get("client_key", ""),
        )
    except DomainError as exc:
        return _refund_form_error(request, order, exc)
    _announce(request, refund_request)
    return redirect("web:order", order.order_no)


def _refund_form_error(request, order, exc: DomainError):
    """The order page again, the refund form open with the error above its button and what
    the buyer chose kept (images must be chosen again: browsers never refill file inputs)."""
    request.kadun_sensitive = True
    context = _order_context(request, order, BUYER)
    context.update({
        "refund_error": exc.message,
        "refund_error_code": exc.code,
        "refund_escalate_no": exc.detail.get("request_no", ""),  # refund_request_answered: 申请平台介入 instead
        "refund_values": {
            "reason": request.POST.get("reason", ""),
            "statement": request.POST.get("statement", "")[:2000],
            "key_ids": {str(k) for k in request.POST.getlist("key_ids")},
            "destination": request.POST.get("destination", "source"),
        },
    })
    return render(request, "web/order.html", context, status=exc.status)


@require_POST
def instant_refund(request, order_no: str):
    """一键退款: every key of the order the buyer has not revealed, refunded at once by rule."""
    order = _buyer_order(request, order_no)
    key_ids = [k.pk for k in active_keys_of_order(order) if k.first_revealed_at is None]
    if not key_ids:
        messages.error(request, "没有未查看的卡密。")
        return redirect("web:order", order.order_no)
    try:
        refund_request = services.refund_request_create(
            order=order, reason=Reason.UNREVEALED, key_ids=key_ids,
            destination=request.POST.get("destination", "source"),
            client_key=request.POST.get("client_key") or secrets.token_hex(8),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _announce(request, refund_request)
    return redirect("web:order", order.order_no)


@require_POST
def verify_key(request, order_no: str, key_id: int):
    order = _buyer_order(request, order_no)
    try:
        report = services.key_verify_for_buyer(order=order, key_id=key_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = {"valid": "有效", "used": "已被使用", "invalid": "无效", "error": "验货接口无响应，结果不作为证据"}[report.result]
        messages.info(request, f"验货结果：{label}（{'查看前' if report.before_first_reveal else '查看后'}验货，已存档）")
    return redirect("web:order", order.order_no)


@require_POST
def request_withdraw(request, request_no: str):
    try:
        refund_request, role = selectors.request_access(request_no=request_no, viewer=viewer_of(request))
    except RequestNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    try:
        services.refund_request_withdraw(request=refund_request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤回退款申请。")
    return redirect("web:order", refund_request.order.order_no)
