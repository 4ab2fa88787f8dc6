"""Builders for the buyer abuse record tests."""
from __future__ import annotations

import io

from conftest import buy, make_product, pay
from kadun.aftersales import services as refunds
from kadun.evidence import privacy
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.risk import abuse

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Upload(io.BytesIO):
    def __init__(self, data: bytes = PNG, name: str = "shot.png"):
        super().__init__(data)
        self.size = len(data)
        self.name = name


def paid(buyer=None, product=None, **kwargs):
    product = product or make_product(keys=5)
    order, _, _ = buy(product, buyer=buyer, **kwargs)
    return pay(order)


def key_of(order):
    return CardKey.objects.filter(order=order).order_by("id").first()


def claim_after_reveal(order, *, device: str = "", ip: str = ""):
    """The buyer reveals the key, then reports it invalid with a screenshot (goes to the merchant)."""
    key = key_of(order)
    key_reveal(order=order, key_id=key.pk, actor="guest", ip="198.51.100.1")
    token = abuse.current_signals.set((abuse.device_hash(device), privacy.ip(ip) if ip else ""))
    try:
        return refunds.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[Upload()])
    finally:
        abuse.current_signals.reset(token)


def facts(order, kind: str, n: int, *, buyer_key: str | None = None, prefix: str = "t"):
    """``n`` facts of ``kind`` on ``order``'s buyer (logged like the hooks log them)."""
    from django.db import transaction

    from kadun.risk.selectors_abuse import buyer_key_of

    key = buyer_key or buyer_key_of(order)
    with transaction.atomic():
        for i in range(n):
            abuse._fact(buyer_key=key, kind=kind, ref=f"{prefix}:{kind}:{order.pk}:{i}", order=order, flagged=False)
