"""The staff console (平台后台): orders, one order in full, and the ledger check.

Only users with a staff role get in. Everyone else — anonymous, buyers, merchants — gets the
same 404 as for a page that does not exist, so the console does not announce itself.
"""
from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from kadun.backoffice.access import staff_only
from kadun.backoffice.selectors import platform_check, staff_orders_page
from kadun.core.pagination import id_param
from kadun.inventory.selectors import keys_of_order, reveals_of_order
from kadun.ledger.selectors import entries_for
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import Viewer, events_of, order_access
from kadun.orders.states import OrderStatus
from kadun.payments.selectors import payment_of, payments_of, refunds_of

PAGE_SIZE = 50
PROBLEMS_SHOWN = 200
CHECKED_LABELS = {
    "entries": _("记账凭证"),
    "postings": _("分录"),
    "accounts": _("账户"),
    "orders": _("订单"),
    "keys": _("卡密"),
    "reveals": _("查看记录"),
}


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + list(OrderStatus.choices))
    q = forms.CharField(label=_("订单号或店铺名"), required=False, max_length=60, strip=True)


@staff_only
@require_safe
def home(request):
    form = OrderFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = staff_orders_page(
        status=filters.get("status"), q=filters.get("q"),
        before=id_param(request, "before"), after=id_param(request, "after"), size=PAGE_SIZE,
    )
    return render(request, "backoffice/orders.html", {
        "form": form, "orders": page.items, **page.urls(filters), "filtered": bool(filters), "section": "orders",
    })


@staff_only
@require_safe
def order_detail(request, order_no):
    try:
        order, _relation = order_access(order_no=order_no, viewer=Viewer(user=request.user))
    except OrderNotFound:
        raise Http404 from None
    keys = keys_of_order(order)
    index_of = {key["id"]: key["index"] for key in keys}
    reveals = list(reveals_of_order(order).select_related("user"))
    for reveal in reveals:
        reveal.key_index = index_of.get(reveal.key_id)
    labels = {spec["name"]: spec["label"] for spec in order.product.buyer_fields or []}
    return render(request, "backoffice/order_detail.html", {
        "order": order,
        "buyer": order.buyer,
        # What the buyer filled in, under the labels the product asked with (not the field names).
        "buyer_inputs": [(labels.get(name, name), value) for name, value in (order.buyer_inputs or {}).items()],
        "events": events_of(order).select_related("actor_user"),
        "payment": payment_of(order),
        "payments": payments_of(order),  # all of them when the buyer switched method (换一种支付方式)
        "refunds": refunds_of(order),
        "entries": entries_for(ref_type="order", ref_id=order.pk),
        "keys": keys,
        "reveals": reveals,
        "section": "orders",
    })


@staff_only
@require_safe
def ledger_check(request):
    report = platform_check()
    checked = [(CHECKED_LABELS.get(name, name), count) for name, count in report.checked.items()]
    return render(request, "backoffice/ledger_check.html", {
        "report": report, "checked": checked,
        "problems": report.problems[:PROBLEMS_SHOWN], "hidden": max(0, len(report.problems) - PROBLEMS_SHOWN),
        "section": "ledger",
    })
