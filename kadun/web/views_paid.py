"""我已支付: the buyer of a pending order says they paid; kadun asks the gateway soon after
(the payment watch, ``kadun.payments.watch``) and the order page shows 支付确认中."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kadun.core.errors import DomainError
from kadun.orders import selectors as orders
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import BUYER, viewer_of
from kadun.orders.states import OrderStatus


@require_POST
def buyer_says_paid(request, order_no: str):
    """POST only, the order's buyer only (anyone else: 404, nothing changes)."""
    from kadun.payments.watch import payment_buyer_says_paid

    try:
        order, role = orders.order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    if order.status != OrderStatus.PENDING_PAYMENT:
        messages.error(request, _("订单已不是待支付状态。"))
        return redirect("web:order", order.order_no)
    try:
        outcome = payment_buyer_says_paid(order=order)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if outcome == "checking":
            messages.success(request, _("已收到。平台正在向支付平台核实付款，确认后自动发货。"))
    return redirect("web:order", order.order_no)
