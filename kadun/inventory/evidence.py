"""Inventory's facts in the evidence log: each key delivered to an order (by its keyed
fingerprint, never the secret), each reveal (查看卡密: time, who, IP and user agent as keyed
hashes), each 验货 report."""
from __future__ import annotations

from django.db.models import Q

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


@source("inventory.delivery", model="inventory.CardKey", covers=lambda: Q(order__isnull=False))
def key_delivered(key) -> Fact:
    """A key sold to an order: which key (``inventory.crypto.fingerprint``, the keyed hash the
    platform finds duplicates by), to which order, when. Withdrawal and reveal stamps are
    facts of their own (the order's events, the reveal log)."""
    return Fact(
        kind="key.delivered", subject_type="order", subject_id=key.order_id, actor_role="system", actor_id=None,
        body={"order": key.order_id, "key": key.pk, "product": key.product_id, "fingerprint": key.fingerprint, "sold_at": privacy.iso(key.sold_at)},
    )


@source("inventory.reveal", model="inventory.Reveal")
def key_revealed(reveal) -> Fact:
    role = reveal.actor if reveal.actor in ("buyer", "guest", "staff") else "buyer"
    return Fact(
        kind="key.revealed", subject_type="order", subject_id=reveal.order_id, actor_role=role, actor_id=reveal.user_id,
        body={
            "order": reveal.order_id, "key": reveal.key_id, "actor": reveal.actor, "at": privacy.iso(reveal.at),
            "ip": privacy.ip(reveal.ip), "user_agent": privacy.user_agent(reveal.user_agent),
        },
    )


@source("inventory.verification", model="inventory.VerificationReport")
def key_verified(report) -> Fact:
    return Fact(
        kind="key.verified", subject_type="order", subject_id=report.order_id, actor_role="system", actor_id=None,
        body={
            "order": report.order_id, "key": report.key_id, "checker": report.checker, "result": report.result,
            "raw_sha256": privacy.optional_text(report.raw), "checked_at": privacy.iso(report.checked_at),
            "before_first_reveal": report.before_first_reveal,
        },
    )
