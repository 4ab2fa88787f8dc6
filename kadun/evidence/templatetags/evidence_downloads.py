"""The download links of the evidence log on the order and case pages:
``{% load evidence_downloads %}{% evidence_downloads order role %}`` (or ``order role case``)."""
from django import template

from kadun.evidence import selectors_downloads

register = template.Library()


@register.inclusion_tag("evidence/_downloads.html")
def evidence_downloads(order, role, case=None):
    return {
        "order": order, "case": case, "role": role,
        "dossier": selectors_downloads.dossier_allowed(order, role) if role in ("buyer", "staff") else False,
        "dossier_later": role == "buyer" and not selectors_downloads.dossier_allowed(order, role),
    }
