"""Reads 跑路 protection takes from inventory: per import batch, the keys buyers revealed and
those a verification report found used or invalid."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from kadun.inventory.models import CardKey, ImportBatch, VerificationReport


def batch_reveals(*, shop_id: int, since: dt.datetime) -> dict[int, dict]:
    """{batch id: {"created_at", "product_id", "revealed": set of key ids, "reported": set of key
    ids with a verification report used/invalid}} for the shop's batches created since."""
    batches = {
        b["pk"]: {"created_at": b["created_at"], "product_id": b["product_id"], "revealed": set(), "reported": set()}
        for b in ImportBatch.objects.filter(shop_id=shop_id, created_at__gte=since).values("pk", "created_at", "product_id")
    }
    if not batches:
        return {}
    for key_id, batch_id in CardKey.objects.filter(batch_id__in=list(batches), first_revealed_at__isnull=False).values_list("pk", "batch_id"):
        batches[batch_id]["revealed"].add(key_id)
    reported = defaultdict(set)
    rows = VerificationReport.objects.filter(key__batch_id__in=list(batches), result__in=["used", "invalid"]).values_list("key_id", "key__batch_id")
    for key_id, batch_id in rows:
        reported[batch_id].add(key_id)
    for batch_id, ids in reported.items():
        batches[batch_id]["reported"] = ids
    return batches
