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


def _clock_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


@register.simple_tag
def countdown(moment):
    """A live countdown to ``moment`` (kadun.js counts it down; at zero it says 订单已过期 and
    hides what carries ``data-countdown-hide``). ``{% countdown order.expires_at as cd %}``."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    seconds = seconds_until(moment)
    return format_html(
        '<span class="countdown" data-countdown-seconds="{}" data-expired-text="{}" role="timer">{}</span>',
        seconds, gettext("订单已过期"), _clock_text(seconds) if seconds else gettext("订单已过期"),
    )
