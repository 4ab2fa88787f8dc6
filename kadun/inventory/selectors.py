from __future__ import annotations

from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch, Reveal, VerificationReport
from kadun.inventory.states import KeyStatus


def keys_of_order(order) -> list[dict]:
    """Keys of an order, masked, with their first-reveal time and status (sold, or withdrawn:
    refunded / replaced). Never the plaintext."""
    out = []
    for index, key in enumerate(CardKey.objects.filter(order=order).order_by("id"), start=1):
        out.append({
            "id": key.pk, "index": index, "masked": crypto.mask(crypto.decrypt(key.secret)),
            "first_revealed_at": key.first_revealed_at, "status": key.status, "withdrawn_reason": key.withdrawn_reason,
            "active": key.status == KeyStatus.SOLD,
        })
    return out


def active_keys_of_order(order):
    return CardKey.objects.filter(order=order, status=KeyStatus.SOLD).order_by("id")


def verifications_of(order):
    return VerificationReport.objects.filter(order=order).select_related("key")


def used_before_first_reveal(order, key_ids) -> set[int]:
    """Keys a checker found already used before the buyer first saw them: proof a used key was sold."""
    return set(
        VerificationReport.objects.filter(order=order, key_id__in=key_ids, result="used", before_first_reveal=True).values_list("key_id", flat=True)
    )


def reveals_of_order(order):
    return Reveal.objects.filter(order=order).select_related("key")


def import_batches_of(*, shop):
    return ImportBatch.objects.filter(shop=shop).select_related("product").order_by("-id")


def quarantined_lines(ids):
    """Quarantined import lines (risk staff): who tried, who holds the key, the fingerprint —
    never a plaintext, which was never stored."""
    from kadun.inventory.models import QuarantinedKey

    return QuarantinedKey.objects.filter(pk__in=list(ids)).select_related("shop", "owner_shop", "product").order_by("id")
