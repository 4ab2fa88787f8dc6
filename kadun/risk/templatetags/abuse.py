"""用后退款防护 on other rooms' pages: the buyer's 「高风险退款记录」 flag and its facts, shown
with each refund request and case to the merchant and to staff (``{% abuse_flag order %}``,
``{% abuse_flag order staff=True %}``), and the published threshold (``{% abuse_rules %}``).
Never a signal (IP, device, contact) — only counts, kinds and refs."""
from __future__ import annotations

from django import template

from kadun.risk.selectors_abuse import buyer_key_of, facts_of, record_of, threshold

register = template.Library()


@register.inclusion_tag("risk/_abuse_flag.html")
def abuse_flag(order, staff=False):
    record = record_of(buyer_key_of(order))
    facts = facts_of(record, limit=20) if record.flagged or staff else []
    return {"record": record, "facts": facts, "staff": staff, "t": threshold()}


@register.inclusion_tag("risk/_abuse_rules.html")
def abuse_rules():
    return {"t": threshold()}
