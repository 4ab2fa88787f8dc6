"""异常订单预警 on the staff console's alert page: the facts behind an alert with links, who holds
it and the "assign to me" form, and the resolution choice for the close form."""
from __future__ import annotations

from django import template

from kadun.risk.selectors_alerts import ABNORMAL_KINDS, alert_links, filter_choices

register = template.Library()


@register.inclusion_tag("risk/_alert_facts.html", takes_context=True)
def alert_facts(context, alert):
    """``{% alert_facts alert %}``: facts, links, assignee and the assign form."""
    return {"alert": alert, "links": alert_links(alert), "abnormal": alert.kind in ABNORMAL_KINDS, "user": context.get("user"),
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("risk/_alert_resolution.html")
def alert_resolution_choice():
    """``{% alert_resolution_choice %}`` inside the close form: the resolution select."""
    return {"resolutions": filter_choices()["resolutions"]}
