"""Reads risk's abnormal-order alerts take from inventory: which batch a key came from, and how
many keys of a product or batch were sold in a time range."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count

from kadun.inventory.models import CardKey


def key_batches(key_ids: Iterable[int]) -> dict[int, int | None]:
    """{key_id: import batch id (None: added without a batch)}."""
    return dict(CardKey.objects.filter(pk__in=list(key_ids)).values_list("pk", "batch_id"))


def sold_counts(*, product_ids: Iterable[int], since: dt.datetime, until: dt.datetime) -> tuple[dict[int, int], dict[int, int]]:
    """Keys sold in [since, until): per product, and per import batch."""
    rows = (CardKey.objects.filter(product_id__in=list(product_ids), sold_at__gte=since, sold_at__lt=until)
            .values("product_id", "batch_id").annotate(n=Count("id")).order_by())
    per_product: dict[int, int] = {}
    per_batch: dict[int, int] = {}
    for row in rows:
        per_product[row["product_id"]] = per_product.get(row["product_id"], 0) + row["n"]
        if row["batch_id"] is not None:
            per_batch[row["batch_id"]] = per_batch.get(row["batch_id"], 0) + row["n"]
    return per_product, per_batch
