from __future__ import annotations

from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch, Reveal


def keys_of_order(order) -> list[dict]:
    """Keys of an order, masked, with their first-reveal time. Never the plaintext."""
    out = []
    for index, key in enumerate(CardKey.objects.filter(order=order).order_by("id"), start=1):
        out.append({"id": key.pk, "index": index, "masked": crypto.mask(crypto.decrypt(key.secret)), "first_revealed_at": key.first_revealed_at})
    return out


def reveals_of_order(order):
    return Reveal.objects.filter(order=order).select_related("key")


def import_batches_of(*, shop):
    return ImportBatch.objects.filter(shop=shop).select_related("product").order_by("-id")
