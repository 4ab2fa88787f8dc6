"""脱离平台交易 on pages: ``{% load lures %}{% if text|has_lure %}{% include "risk/_lure_warning.html" %}{% endif %}``.

Wherever a text one side wrote is shown to the other (a product's title and description, a
delivery note, a rejection note, a case message), both sides see the warning when it carries an
off-platform lure. ``text|has_lure:order`` leaves out what the buyer gave on the order (a merchant
repeating the phone number they topped up is not a lure) — the same rule the flag follows.
"""
from django import template

from kadun.risk import selectors

register = template.Library()


@register.filter
def has_lure(text, order=None) -> bool:
    if not text:
        return False
    allow = selectors.order_allowances(order) if order is not None else ()
    return bool(selectors.lures_in(str(text), allow=allow))
