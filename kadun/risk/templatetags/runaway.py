"""跑路 protection on other rooms' pages: the buyers' notice on a shop page and its orders, the
merchant's frozen banner, and the published rules (every number from settings)."""
from __future__ import annotations

from django import template
from django.conf import settings

from kadun.risk.selectors_freeze import freeze_of, shop_notice
from kadun.risk.states import RunawaySignal

register = template.Library()


@register.inclusion_tag("risk/_shop_notice.html")
def runaway_shop_notice(shop_id, order=None):
    """``{% runaway_shop_notice shop.pk %}`` on the shop page; with ``order=order`` on an order
    page (what happens to this order's money)."""
    return {"notice": shop_notice(int(shop_id)) if shop_id else None, "order": order}


@register.inclusion_tag("risk/_freeze_banner.html")
def runaway_freeze_banner(shop_id):
    """The merchant's dashboard: the shop is frozen, why, and what it means."""
    return {"freeze": freeze_of(int(shop_id)) if shop_id else None}


@register.simple_tag
def runaway_rules() -> dict:
    signals = []
    for name, rule in settings.KADUN_RUNAWAY_SIGNALS.items():
        signals.append({"name": name, "label": str(RunawaySignal(name).label), **rule})
    return {"signals": signals, "alert": settings.KADUN_RUNAWAY_ALERT_SCORE, "freeze": settings.KADUN_RUNAWAY_FREEZE_SCORE,
            "sources": settings.KADUN_RUNAWAY_REFUND_SOURCES, "eval_hours": settings.KADUN_RUNAWAY_EVAL_HOURS}
