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
