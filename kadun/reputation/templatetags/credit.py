"""Template includes other apps' pages use: the shop page's credit summary and the rules page's
credit and penalties sections (numbers from settings)."""
from django import template

from kadun.reputation import selectors

register = template.Library()


@register.inclusion_tag("reputation/_shop_credit_summary.html")
def shop_credit_summary(shop):
    from django.conf import settings

    from kadun.merchants.selectors_penalties import warnings_on_record

    return {"shop": shop, "credit": selectors.shop_credit(shop.pk),
            "warnings": list(warnings_on_record(shop.pk, days=settings.KADUN_CREDIT_WARNING_DAYS)[:5])}


@register.inclusion_tag("reputation/_rules_credit_body.html")
def credit_rules():
    return {"n": selectors.rules_numbers()}


@register.inclusion_tag("reputation/_rules_penalties_body.html")
def penalty_rules():
    from kadun.merchants.penalty_rules import VIOLATIONS

    return {"n": selectors.rules_numbers(), "violations": [(k, name, text, grave) for k, (name, text, grave) in VIOLATIONS.items()]}
