"""Merchant accountability's facts in the evidence log: every step of a withdrawal (staff
approvals and rejections, payouts sent, their results — money leaving the platform) and every
step of a penalty (proposed, confirmed, fine paid, appealed, decided). Notes, which staff and
merchants write freely, go in by their SHA-256."""
from __future__ import annotations

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


def _role(user) -> str:
    if user is None:
        return "system"
    return "staff" if getattr(user, "staff_role", "") else "merchant"


@source("merchants.withdrawal_event", model="merchants.WithdrawalEvent")
def withdrawal_step(event) -> Fact:
    w = event.withdrawal
    return Fact(
        kind=f"withdrawal.{event.kind}"[:40], subject_type="shop", subject_id=w.shop_id, actor_role=_role(event.actor), actor_id=event.actor_id,
        body={
            "withdrawal_no": w.withdrawal_no, "amount": w.amount, "fee": w.fee, "provider": w.provider, "from": event.from_status,
            "to": event.to_status, "note_sha256": privacy.optional_text(event.note), "at": privacy.iso(event.at),
        },
    )


@source("merchants.penalty_event", model="merchants.PenaltyEvent")
def penalty_step(event) -> Fact:
    p = event.penalty
    return Fact(
        kind=f"penalty.{event.kind}"[:40], subject_type="shop", subject_id=p.shop_id, actor_role=_role(event.actor), actor_id=event.actor_id,
        body={
            "penalty": p.pk, "kind": p.kind, "step": event.kind,
            "data": event.data, "note_sha256": privacy.optional_text(event.note), "at": privacy.iso(event.at),
        },
    )
