from django import template

from kadun.core.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Money in 分 shown as 元 with two decimals: {{ order.amount|yuan }} -> 12.34"""
    if fen in (None, ""):
        return ""
    return fen_to_yuan(int(fen))


STATUS_BADGE = {
    "delivered": "warn", "paid": "warn", "in_service": "warn", "pending_payment": "",
    "confirmed": "ok", "refunded": "bad", "expired": "",
}


@register.filter
def badge(status: str) -> str:
    return STATUS_BADGE.get(status, "")


@register.filter
def seconds_until(moment) -> int:
    """Whole seconds from now (the one clock) until ``moment``, never negative: a countdown
    counts from the server's time, so a wrong clock on the buyer's phone does not matter."""
    from kadun.core import clock

    if not moment:
        return 0
    return max(int((moment - clock.now()).total_seconds()), 0)
