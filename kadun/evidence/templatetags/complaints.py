"""Template tags of the complaint board, for pages of other apps: the buyer's link on the order
page (``{% complaint_link order role %}``) and a shop's complaints on its public page
(``{% shop_complaints shop.id 5 %}``)."""
from django import template

from kadun.evidence import selectors_complaints as reads

register = template.Library()


@register.inclusion_tag("evidence/_complaint_link.html")
def complaint_link(order, role):
    return {"complaint_link": reads.link_state(order, role)}


@register.inclusion_tag("evidence/_shop_complaints.html")
def shop_complaints(shop_id, limit=5):
    return {"shop_complaints": reads.complaints_for_shop(shop_id, limit), "shop_complaints_count": reads.shop_complaint_count(shop_id),
            "shop_complaints_shop_id": shop_id}
