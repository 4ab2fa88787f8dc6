"""Reads risk's abnormal-order alerts take from reputation: which products have any review."""
from __future__ import annotations

from collections.abc import Iterable

from kadun.reputation.models_reviews import Review


def products_with_reviews(product_ids: Iterable[int]) -> set[int]:
    """The ids among ``product_ids`` that have at least one review (hidden ones count: a review was written)."""
    return set(Review.objects.filter(product_id__in=list(product_ids)).values_list("product_id", flat=True).distinct())
