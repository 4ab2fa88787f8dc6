"""验货 reports read by the buyer abuse record (kadun/risk/abuse.py)."""
from __future__ import annotations

from kadun.inventory.models import VerificationReport

BAD = ("used", "invalid")


def keys_confirmed_valid(order, key_ids) -> set[int]:
    """Of ``key_ids``, the keys whose latest 验货 report on this order says "valid"."""
    latest: dict[int, str] = {}
    for key_id, result in VerificationReport.objects.filter(order=order, key_id__in=list(key_ids)).order_by("checked_at", "id").values_list("key_id", "result"):
        latest[key_id] = result
    return {k for k, result in latest.items() if result == "valid"}


def order_has_bad_report(order, key_ids) -> bool:
    """A checker answered "used" or "invalid" on one of these keys of the order."""
    return VerificationReport.objects.filter(order=order, key_id__in=list(key_ids), result__in=BAD).exists()


def product_bad_reports_elsewhere(*, product_id: int, order_id: int, since) -> bool:
    """Another order's key of the product was found used or invalid by a checker since ``since``."""
    return VerificationReport.objects.filter(key__product_id=product_id, result__in=BAD, checked_at__gte=since).exclude(order_id=order_id).exists()
