"""保证金 on product pages: ``{% load deposit %}{% deposit_notice product.shop_id %}`` renders
``merchants/_deposit_notice.html`` when the shop holds less than its requirement (the same
reading checkout's gate applies: ``selectors_deposit.deposit_notice``)."""
from django import template

from kadun.merchants.selectors_deposit import deposit_notice as notice_of

register = template.Library()


@register.inclusion_tag("merchants/_deposit_notice.html")
def deposit_notice(shop_id):
    return {"notice": notice_of(int(shop_id)) if shop_id else None}


@register.inclusion_tag("merchants/_shop_deposit.html")
def shop_deposit(shop_id):
    """The shop's public page: deposit held against required (``{% shop_deposit shop.pk %}``)."""
    from kadun.merchants.selectors_deposit import deposit_position

    return {"position": deposit_position(int(shop_id))}
