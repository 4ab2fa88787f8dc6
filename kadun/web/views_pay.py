"""换一种支付方式, posted from the order page's payment box (``web/_pay_panel.html``)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kadun.core.client_ip import client_ip
from kadun.core.errors import DomainError
from kadun.orders import selectors as orders
from kadun.orders.errors import OrderNotFound
from kadun.orders.payment_switch import order_payment_switch
from kadun.orders.selectors import BUYER, viewer_of


@require_POST
def pay_switch(request, order_no: str):
    """A new payment with the chosen enabled method for a pending order (POST → redirect → GET);
    the old one stays, and a late success on it is refunded automatically. A refusal is shown
    as a message and changes nothing."""
    try:
        order, role = orders.order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    try:
        _payment, outcome = order_payment_switch(order=order, role=role, provider=request.POST.get("provider", ""), user=request.user,
                                                 client_ip=client_ip(request) or "", user_agent=request.META.get("HTTP_USER_AGENT", "")[:400])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已更换支付方式，请用新的方式完成支付。") if outcome == "created" else _("已用平台余额支付。"))
    return redirect("web:order", order.order_no)
