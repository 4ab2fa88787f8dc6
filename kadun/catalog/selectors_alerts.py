"""Reads risk's abnormal-order alerts take from the catalog: when products were created, and
their recorded price changes (PriceChange, written by ``product_update``)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kadun.catalog.models import PriceChange, Product


def products_created(product_ids: Iterable[int]) -> dict[int, dt.datetime]:
    return dict(Product.objects.filter(pk__in=list(product_ids)).values_list("pk", "created_at"))


def price_changes(*, product_ids: Iterable[int], since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Price changes of these products made in [since, until], oldest first."""
    return list(PriceChange.objects.filter(product_id__in=list(product_ids), at__gte=since, at__lte=until)
                .order_by("at", "id").values("id", "product_id", "shop_id", "old_price", "new_price", "at"))
