"""Filters for the staff console: {% load backoffice_tags %}."""
from django import template

from kadun.core.money import fen_to_yuan

register = template.Library()

_BADGE = {
    "confirmed": "ok",
    "succeeded": "ok",
    "paid": "warn",
    "in_service": "warn",
    "delivered": "warn",
    "pending": "warn",
    "refunded": "bad",
    "failed": "bad",
}


@register.filter
def yuan(fen) -> str:
    """An amount in 分 as 元 with two decimals: {{ order.amount|yuan }} -> 12.34"""
    if fen in (None, ""):
        return ""
    return fen_to_yuan(int(fen))


@register.filter
def status_badge(status) -> str:
    """CSS class for a status badge: ok / warn / bad, or empty for neutral states."""
    return _BADGE.get(str(status), "")
