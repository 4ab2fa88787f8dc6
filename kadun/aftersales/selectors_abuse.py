"""Refund requests read by the buyer abuse record (kadun/risk/abuse.py)."""
from __future__ import annotations

from kadun.aftersales.models import RefundRequest


def product_invalid_claims_elsewhere(*, product_id: int, order_id: int, since) -> bool:
    """Another order of the product had a 「卡密无效」 request since ``since``."""
    return RefundRequest.objects.filter(order__product_id=product_id, reason="invalid_key", created_at__gte=since).exclude(order_id=order_id).exists()


def request_by_no(request_no: str):
    return RefundRequest.objects.select_related("order").filter(request_no=request_no).first()
