"""售后保险 on other rooms' pages, one line each: the offer in the checkout form of a product
page (``{% insurance_checkout product %}``) and the cover on an order page
(``{% insurance_order order %}``). Every number is read from the terms code reads."""
from __future__ import annotations

from django import template
from django.utils.translation import gettext

from kadun.insurance import selectors

register = template.Library()


@register.inclusion_tag("insurance/_checkout.html", takes_context=True)
def insurance_checkout(context, product):
    offer = selectors.checkout_offer(amount=product.price, shop_id=product.shop_id, category=product.category,
                                     delivery=product.delivery, inspection_hours=product.inspection_hours)
    request = context.get("request")
    ticked = bool(request is not None and request.method == "POST" and request.POST.get("insure") == "1")
    # The clauses are frozen in Chinese (the terms' hash covers them); shown in the page's language.
    clauses = [gettext(c) for c in offer["clauses"]] if offer else []
    return {"offer": offer, "ticked": ticked, "clauses": clauses}


@register.inclusion_tag("insurance/_order.html")
def insurance_order(order):
    return {"cover": selectors.order_cover(order), "order": order}
