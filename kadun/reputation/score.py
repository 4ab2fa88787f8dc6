"""信用分: the published formula, as pure functions over a shop's figures (no database here).

Every number comes from settings (kadun/settings/accountability.py); the rules page, the shop's
credit page and docs/merchants.md show the same numbers. ``score_of(figures)`` returns the
score and its breakdown: for each component the raw figure, the scaled value (0–1), the weight
and the points it adds, and the deductions (warnings, breaches)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

COMPONENTS = ("on_time", "seller_fault", "intervention", "first_response", "rating", "tenure")
LABELS = {
    "on_time": _("服务按时交付率"), "seller_fault": _("商家责任裁决率"), "intervention": _("平台介入率"),
    "first_response": _("售后首次响应时间（P90）"), "rating": _("买家评价"), "tenure": _("经营时长与成交量"),
}
HOW_TO_RAISE = {
    "on_time": _("在服务截止时间前完成并提交发货说明；接不了的单尽早与买家协商退款。"),
    "seller_fault": _("按退款规则及时处理退款申请，避免工单被平台判定为商家责任。"),
    "intervention": _("在工单中主动与买家协商解决，尽量不让工单升级到平台介入。"),
    "first_response": _("买家发起售后后尽快首次回复（1 小时内为满分）。"),
    "rating": _("提供准确的商品描述和及时的服务，获得买家好评。"),
    "tenure": _("持续经营并完成更多确认收货的订单。"),
}


@dataclass(frozen=True)
class Figures:
    """What the formula reads about one shop, over the window (KADUN_CREDIT_WINDOW_DAYS)."""

    days_open: int = 0
    orders: int = 0  # orders paid in the window
    confirmed: int = 0  # orders confirmed in the window
    services_due: int = 0  # manual services delivered or overdue in the window
    services_on_time: int = 0  # … of which delivered before their deadline
    seller_fault: int = 0  # cases decided with the merchant at fault
    escalated: int = 0  # cases the platform took over (介入)
    response_p90_seconds: int | None = None  # the merchant's first response in a case, p90
    ratings: tuple[int, ...] = field(default_factory=tuple)  # 1–5 stars (issue #12)
    warnings: int = 0  # active warnings (KADUN_CREDIT_WARNING_DAYS)
    breaches: int = 0  # breaches in the window


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def rating_bayesian(ratings) -> float:
    """The mean rating with a prior worth KADUN_CREDIT_RATING_PRIOR_WEIGHT reviews of
    KADUN_CREDIT_RATING_PRIOR stars: (prior × m + Σ ratings) / (m + n). No reviews: the prior."""
    prior, m = settings.KADUN_CREDIT_RATING_PRIOR, settings.KADUN_CREDIT_RATING_PRIOR_WEIGHT
    ratings = list(ratings)
    return (prior * m + sum(ratings)) / (m + len(ratings))


def _scaled(f: Figures) -> dict[str, tuple[object, float]]:
    """Each component's (raw figure, scaled value 0–1)."""
    s = settings
    on_time = f.services_on_time / f.services_due if f.services_due else None
    fault = f.seller_fault / f.orders if f.orders else 0.0
    intervention = f.escalated / f.orders if f.orders else 0.0
    p90 = f.response_p90_seconds
    full, zero = s.KADUN_CREDIT_RESPONSE_FULL_HOURS * 3600, s.KADUN_CREDIT_RESPONSE_ZERO_HOURS * 3600
    rating = rating_bayesian(f.ratings)
    tenure = min(1.0, f.days_open / s.KADUN_CREDIT_TENURE_DAYS) * 0.5 + min(1.0, f.confirmed / s.KADUN_CREDIT_VOLUME_ORDERS) * 0.5
    return {
        # No services sold: neutral (1.0) — a shop of auto-delivered keys is not marked down.
        "on_time": (None if on_time is None else round(on_time, 4), 1.0 if on_time is None else _clamp(on_time)),
        "seller_fault": (round(fault, 4), _clamp(1 - fault / s.KADUN_CREDIT_SELLER_FAULT_ZERO)),
        "intervention": (round(intervention, 4), _clamp(1 - intervention / s.KADUN_CREDIT_INTERVENTION_ZERO)),
        # No case answered yet: neutral (1.0); slow answers are what the component measures.
        "first_response": (p90, 1.0 if p90 is None else _clamp((zero - p90) / (zero - full))),
        "rating": (round(rating, 4), _clamp((rating - 1) / 4)),
        "tenure": ({"days": f.days_open, "confirmed": f.confirmed}, _clamp(tenure)),
    }


def is_new_shop(f: Figures) -> bool:
    return f.days_open < settings.KADUN_CREDIT_NEW_SHOP_DAYS or f.confirmed < settings.KADUN_CREDIT_NEW_SHOP_ORDERS


def score_of(f: Figures) -> tuple[int, bool, dict]:
    """(score 0–1000, provisional, breakdown). score = 1000 × Σ weight × component − warning
    points × active warnings − breach points × breaches, clamped to 0–1000. A new shop
    (新商家) is provisional and its weighted sum is capped at KADUN_CREDIT_NEW_SHOP_SCORE before
    the deductions: it cannot start in the top band before it has a record."""
    weights = settings.KADUN_CREDIT_WEIGHTS
    rows, base = {}, 0.0
    for key, (raw, value) in _scaled(f).items():
        points = 1000 * weights[key] * value
        base += points
        rows[key] = {"raw": raw, "value": round(value, 4), "weight": weights[key], "points": round(points, 1)}
    warning_points = settings.KADUN_CREDIT_WARNING_POINTS * f.warnings
    breach_points = settings.KADUN_CREDIT_BREACH_POINTS * f.breaches
    provisional = is_new_shop(f)
    computed = max(0, min(1000, round(base) - warning_points - breach_points))
    # The cap applies before the deductions: a new shop's warning costs it the same 100 points.
    capped = min(round(base), settings.KADUN_CREDIT_NEW_SHOP_SCORE) if provisional else round(base)
    score = max(0, min(1000, capped - warning_points - breach_points))
    breakdown = {
        "components": rows, "base": round(base, 1),
        "deductions": {"warnings": f.warnings, "warning_points": warning_points, "breaches": f.breaches, "breach_points": breach_points},
        "computed": computed, "provisional_cap": settings.KADUN_CREDIT_NEW_SHOP_SCORE if provisional else None,
        "figures": {"orders": f.orders, "confirmed": f.confirmed, "services_due": f.services_due, "services_on_time": f.services_on_time,
                    "seller_fault": f.seller_fault, "escalated": f.escalated, "reviews": len(f.ratings), "days_open": f.days_open},
    }
    return score, provisional, breakdown
