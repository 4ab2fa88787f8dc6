"""订单查询: guests find an order by order number + query password (kadun.web's lookup page)."""
from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from kadun.core.text import fold
from kadun.orders import selectors as orders
from kadun.orders.errors import OrderNotFound
from kadun.web.forms import LookupForm
from kadun.web.views import _grant


LOOKUP_BY_ADDRESS, LOOKUP_BY_NUMBER = "order_lookup_ip", "order_lookup_no"


def _lookup_number(group, request) -> str:
    """Failures are counted per order number as the lookup reads it: folded."""
    return fold(request.POST.get("order_no", ""))[:64]


def _number_failures(request, *, increment: bool = False) -> bool:
    """Count one more failure for this order number (``increment``); True once the number has
    reached its limit, from when on the lookup asks for a captcha (never a lock: a stranger
    can't lock the owner out)."""
    usage = get_usage(request, group=LOOKUP_BY_NUMBER, key=_lookup_number, rate=settings.KADUN_LOOKUP_RATE, method="POST", increment=increment)
    return bool(usage) and usage["count"] >= usage["limit"]


def _address_limited(request) -> int | None:
    """Minutes until this address may look up again, or None. Every attempt counts."""
    usage = get_usage(request, group=LOOKUP_BY_ADDRESS, key="ip", rate=settings.KADUN_LOOKUP_IP_RATE, method="POST", increment=True)
    if not usage or not usage["should_limit"]:
        return None
    return max(1, math.ceil(max(usage["time_left"], 0) / 60))


@require_http_methods(["GET", "POST"])
def lookup(request):
    """Guests find an order by order number + query password. A wrong number and a wrong
    password get the same answer. Per address, a hard limit that says how long it lasts; per
    order number, a captcha after repeated failures. The access link always works."""
    if request.method == "GET":
        return render(request, "web/lookup.html", {"form": LookupForm()})
    minutes = _address_limited(request)
    if minutes is not None:
        message = _("此网络地址查询次数过多，请 %(minutes)d 分钟后再试。保存了订单访问链接的，可直接用链接打开订单。") % {"minutes": minutes}
        return render(request, "web/lookup.html", {"form": LookupForm(), "error": message}, status=429)
    form = LookupForm(request.POST, captcha=_number_failures(request))
    if not form.is_valid():
        return render(request, "web/lookup.html", {"form": form}, status=400)
    try:
        order = orders.order_lookup(order_no=form.cleaned_data["order_no"], password=form.cleaned_data["query_password"])
    except OrderNotFound as exc:
        if _number_failures(request, increment=True) and "captcha" not in form.fields:
            form = LookupForm(initial={"order_no": form.cleaned_data["order_no"]}, captcha=True)
        return render(request, "web/lookup.html", {"form": form, "error": exc.message}, status=404)
    _grant(request, order)
    return redirect("web:order", order.order_no)
