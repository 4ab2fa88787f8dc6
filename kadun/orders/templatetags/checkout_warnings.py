"""下单前提示 in pages, one line in each shared template:

- product page, before the buy button: ``{% load checkout_warnings %}{% checkout_warnings product %}``
  (the warnings checkout would show and store now: ``orders.warnings.checkout_warnings``);
- order page (buyer, merchant, staff): ``{% load checkout_warnings %}{% order_warnings order %}``
  (the warnings stored with the order at checkout, as they were).
"""
from django import template

register = template.Library()


@register.inclusion_tag("orders/_checkout_warnings.html")
def checkout_warnings(product):
    from kadun.catalog import selectors as catalog
    from kadun.orders.warnings import checkout_warnings as warnings_of

    found = warnings_of(product, catalog.policy_current(product).rules)
    return {"warnings": [{"code": w.code, "text": w.text, "tick": w.tick} for w in found], "stored": False}


@register.inclusion_tag("orders/_checkout_warnings.html")
def order_warnings(order):
    from kadun.orders.warnings import shown

    return {"warnings": shown(order.checkout_warnings), "stored": True}
