"""售后保险's facts in the evidence log: the cover bought with an order (its terms' hash — the
terms decide what the pool pays), each claim the pool paid and each recovery. The premium given
back is logged as the refund it is (``payments.refund``)."""
from __future__ import annotations

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source
from kadun.insurance.terms import terms_hash


@source("insurance.cover", model="insurance.Cover")
def cover_bought(cover) -> Fact:
    # premium_returned_at is not in the body: the return is its own fact (the refund row).
    return Fact(
        kind="insurance.cover", subject_type="order", subject_id=cover.order_id, actor_role="buyer", actor_id=None,
        body={"shop": cover.shop_id, "premium": cover.premium, "protection_days": cover.protection_days,
              "terms_sha256": terms_hash(cover.terms), "at": privacy.iso(cover.created_at)},
    )


@source("insurance.claim", model="insurance.Claim")
def claim_paid(claim) -> Fact:
    return Fact(
        kind="insurance.claim", subject_type="order", subject_id=claim.order_id, actor_role="system", actor_id=None,
        body={"shop": claim.shop_id, "refund_key": claim.refund_key, "reason": claim.reason, "amount": claim.amount,
              "at": privacy.iso(claim.paid_at)},
    )


@source("insurance.recovery", model="insurance.Recovery")
def recovery_made(recovery) -> Fact:
    return Fact(
        kind="insurance.recovery", subject_type="shop", subject_id=recovery.shop_id, actor_role="system", actor_id=None,
        body={"key": recovery.key, "source": recovery.source, "ref": recovery.ref_id, "amount": recovery.amount,
              "at": privacy.iso(recovery.recovered_at)},
    )
