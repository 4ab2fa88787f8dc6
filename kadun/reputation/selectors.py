"""Reads of a shop's credit. The formula lives in ``reputation.score`` (issue: merchant
accountability); other rooms only read the result here."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from kadun.reputation.models import ShopScore


@dataclass(frozen=True)
class Credit:
    score: int
    band: str  # "high" (≥ 800), "mid" (600–799), "low" (< 600)
    provisional: bool


def band_of(score: int) -> str:
    bands = settings.KADUN_CREDIT_BANDS
    if score >= bands["high"]:
        return "high"
    return "mid" if score >= bands["mid"] else "low"


def shop_credit(shop_id: int) -> Credit:
    row = ShopScore.objects.filter(shop_id=shop_id).values_list("score", "provisional").first()
    score, provisional = row if row else (settings.KADUN_CREDIT_NEW_SHOP_SCORE, True)
    return Credit(score=score, band=band_of(score), provisional=provisional)



def with_band(qs, *, shop: str = "shop__"):
    """Annotate ``credit_band`` (2 high, 1 mid, 0 low) from the joined ShopScore (a LEFT JOIN
    on its one-to-one row; a shop without one counts as KADUN_CREDIT_NEW_SHOP_SCORE), for the
    storefront's order: band first, then newest."""
    from django.db.models import Case, IntegerField, Value, When
    from django.db.models.functions import Coalesce

    bands = settings.KADUN_CREDIT_BANDS
    qs = qs.annotate(credit_score=Coalesce(f"{shop}score__score", Value(settings.KADUN_CREDIT_NEW_SHOP_SCORE)))
    return qs.annotate(credit_band=Case(
        When(credit_score__gte=bands["high"], then=Value(2)), When(credit_score__gte=bands["mid"], then=Value(1)),
        default=Value(0), output_field=IntegerField()))


def score_row(shop_id: int):
    return ShopScore.objects.filter(shop_id=shop_id).first()


def history_of(shop_id: int, *, limit: int = 60) -> list:
    from kadun.reputation.models import ScoreHistory

    rows = ScoreHistory.objects.filter(shop_id=shop_id).order_by("-at", "-id").values("score", "provisional", "at")[:limit]
    return list(reversed(rows))


def history_svg_points(history: list, *, width: int = 600, height: int = 160, pad: int = 10) -> dict:
    """The history chart as SVG coordinates (server-rendered, no script): x by index, y by score
    0–1000, and the band lines."""
    bands = settings.KADUN_CREDIT_BANDS

    def y(score):
        return round(height - pad - (height - 2 * pad) * score / 1000, 1)

    n = len(history)
    step = (width - 2 * pad) / max(1, n - 1)
    points = [(round(pad + i * step, 1), y(h["score"])) for i, h in enumerate(history)]
    return {"width": width, "height": height, "polyline": " ".join(f"{a},{b}" for a, b in points), "dots": points,
            "high_y": y(bands["high"]), "mid_y": y(bands["mid"])}


def breakdown_rows(components: dict) -> list[dict]:
    """The credit page's table: each component's label, raw figure, value, weight, points, and
    how to raise it (score.HOW_TO_RAISE), in the formula's order."""
    from kadun.reputation import score

    rows = []
    for key in score.COMPONENTS:
        c = (components.get("components") or {}).get(key)
        if c is None:
            continue
        rows.append({"key": key, "label": score.LABELS[key], "raw": _raw_text(key, c["raw"]), "value": c["value"],
                     "weight": c["weight"], "max_points": round(1000 * c["weight"]), "points": c["points"], "how": score.HOW_TO_RAISE[key]})
    return rows


def _raw_text(key: str, raw) -> str:
    if raw is None:
        return "—"
    if key in ("on_time", "seller_fault", "intervention"):
        return f"{raw * 100:.2f}%"
    if key == "first_response":
        return f"{raw / 3600:.1f} h"
    if key == "tenure":
        return f"{raw['days']} d / {raw['confirmed']}"
    return f"{raw:.2f} / 5"


def open_contests():
    from kadun.reputation.models import ScoreContest

    return ScoreContest.objects.filter(status="open").select_related("shop").order_by("id")


def contests_of(shop_id: int):
    from kadun.reputation.models import ScoreContest

    return ScoreContest.objects.filter(shop_id=shop_id).order_by("-id")[:20]


def rules_numbers() -> dict:
    """Every number of the published formula and penalties, from settings (the rules page)."""
    s = settings
    return {
        "window": s.KADUN_CREDIT_WINDOW_DAYS, "weights": {k: round(v * 1000) for k, v in s.KADUN_CREDIT_WEIGHTS.items()},
        "fault_zero": f"{s.KADUN_CREDIT_SELLER_FAULT_ZERO * 100:g}", "intervention_zero": f"{s.KADUN_CREDIT_INTERVENTION_ZERO * 100:g}",
        "response_full": s.KADUN_CREDIT_RESPONSE_FULL_HOURS, "response_zero": s.KADUN_CREDIT_RESPONSE_ZERO_HOURS,
        "prior": s.KADUN_CREDIT_RATING_PRIOR, "prior_weight": s.KADUN_CREDIT_RATING_PRIOR_WEIGHT,
        "tenure_days": s.KADUN_CREDIT_TENURE_DAYS, "volume_orders": s.KADUN_CREDIT_VOLUME_ORDERS,
        "warning_points": s.KADUN_CREDIT_WARNING_POINTS, "warning_months": s.KADUN_CREDIT_WARNING_DAYS // 30,
        "breach_points": s.KADUN_CREDIT_BREACH_POINTS, "new_days": s.KADUN_CREDIT_NEW_SHOP_DAYS, "new_orders": s.KADUN_CREDIT_NEW_SHOP_ORDERS,
        "new_score": s.KADUN_CREDIT_NEW_SHOP_SCORE, "high": s.KADUN_CREDIT_BANDS["high"], "mid": s.KADUN_CREDIT_BANDS["mid"],
        "no_products_below": s.KADUN_CREDIT_NO_NEW_PRODUCTS_BELOW,
        "max_amount": {band: (None if v is None else v // 100) for band, v in s.KADUN_CREDIT_MAX_ORDER_AMOUNT.items()},
        "repeat_months": s.KADUN_PENALTY_REPEAT_DAYS // 30, "appeal_days": s.KADUN_PENALTY_APPEAL_DAYS,
        "settle_days": s.KADUN_PENALTY_BAN_SETTLE_DAYS, "thresholds": s.KADUN_PENALTY_THRESHOLDS,
    }
