"""Comparable products and their median price: the reference of the 超低价 checkout warning for a
product without a market reference price (``Product.market_price``).

Comparable means: the same category, the same delivery, and the same face value named in the
title — "50元", "50 元", "50块", "¥50", "￥50.00" all normalise to 5000 分. A title that names no
face value has no comparable group (no median warning: a 月卡 and a 年卡 of one game are not the
same goods). Only products on sale count (active, of an active shop that may sell). The median
(of an even count: the mean of the middle two, rounded down) is kept per group in
``ComparablePrice``, refreshed when a product of the group is created, edited or (de)listed, and
for every group once a day (``comparables_daily``); checkout reads one row. The warning uses it
only when the group has at least ``KADUN_CHECKOUT_COMPARABLE_MIN_PRODUCTS`` products from at least
``KADUN_CHECKOUT_COMPARABLE_MIN_SHOPS`` shops, so one shop cannot set the median alone.
"""
from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings

from kadun.core import clock

_FACE = re.compile(r"[¥￥]\s*(\d{1,7}(?:\.\d{1,2})?)|(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块)")


def face_value(title: str) -> int | None:
    """The first face value the title names, in 分 (None: none)."""
    match = _FACE.search(title or "")
    if match is None:
        return None
    fen = int(Decimal(match.group(1) or match.group(2)) * 100)
    return fen or None


def key_of(*, title: str, category: str, delivery: str) -> str:
    fen = face_value(title)
    return f"{category}|{delivery}|{fen}" if fen else ""


def _median(prices: list[int]) -> int:
    prices = sorted(prices)
    mid = len(prices) // 2
    return prices[mid] if len(prices) % 2 else (prices[mid - 1] + prices[mid]) // 2


def group_refresh(key: str) -> None:
    """Recompute one group's median from the products on sale now (the row goes when none is)."""
    from kadun.catalog.models import ComparablePrice, Product

    if not key:
        return
    rows = list(
        Product.objects.filter(comparable_key=key, is_active=True, shop__is_active=True, shop__selling_blocks=0).values_list("price", "shop_id")
    )
    if not rows:
        ComparablePrice.objects.filter(key=key).delete()
        return
    ComparablePrice.objects.update_or_create(
        key=key,
        defaults={"median": _median([p for p, _ in rows]), "products": len(rows), "shops": len({s for _, s in rows}), "refreshed_at": clock.now()},
    )


def groups_refresh_all() -> int:
    """Every group (the daily duty): shops that stopped or started selling move the medians too."""
    from kadun.catalog.models import ComparablePrice, Product

    keys = set(Product.objects.exclude(comparable_key="").values_list("comparable_key", flat=True).distinct())
    keys |= set(ComparablePrice.objects.values_list("key", flat=True))
    for key in sorted(keys):
        group_refresh(key)
    return len(keys)


def median_for(product) -> dict | None:
    """The group's median for this product ({"median", "products", "shops"}), or None when the
    product has no group or the group is too small to stand for the market."""
    from kadun.catalog.models import ComparablePrice

    if not product.comparable_key:
        return None
    row = ComparablePrice.objects.filter(key=product.comparable_key).values("median", "products", "shops").first()
    if row is None or row["products"] < settings.KADUN_CHECKOUT_COMPARABLE_MIN_PRODUCTS or row["shops"] < settings.KADUN_CHECKOUT_COMPARABLE_MIN_SHOPS:
        return None
    return row
