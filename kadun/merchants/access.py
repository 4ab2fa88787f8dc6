"""The door to every merchant page, whichever app renders it (the shop's own pages here, the
refund queue and rules in aftersales): logged in and owning a shop."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kadun.aftersales import selectors as refund_selectors
from kadun.merchants import selectors
from kadun.merchants.errors import NotAMerchant


def merchant_page(view):
    """Logged in and owning a shop; the shop is passed to the view. Without a shop: 开店."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            shop = selectors.shop_of(request.user)
        except NotAMerchant:
            messages.info(request, _("请先开通店铺。"))
            return redirect("merchants:open")
        count_open_refunds(request, shop)
        return view(request, shop, *args, **kwargs)

    return login_required(wrapped)


def count_open_refunds(request, shop) -> None:
    """The nav shows how many refund requests wait for the merchant; counted only when a page
    renders the nav (the template calls it)."""
    request.merchant_open_refunds = lambda: refund_selectors.merchant_queue(shop=shop, open_only=True).count()
    request.merchant_open_cases = lambda: _open_cases(shop)


def _open_cases(shop) -> int:
    """售后工单 still open on the shop's orders (the nav's count beside 售后工单)."""
    from kadun.cases import selectors as case_selectors

    return case_selectors.merchant_cases(shop=shop, open_only=True).count()
