"""The buyer abuse record's facts in the evidence log: each counted fact (with the buyer's flag
when it was recorded — what the merchant saw with the request), the flag state a default outcome
used, and each contest and its answer. Buyer keys of guests are already keyed hashes; reasons
and notes go in by their SHA-256."""
from __future__ import annotations

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


@source("risk.abuse_fact", model="risk.AbuseFact")
def abuse_fact(fact) -> Fact:
    return Fact(
        kind=f"abuse.{fact.kind}"[:40], subject_type="order", subject_id=fact.order_id, actor_role="system", actor_id=None,
        body={"buyer_key": fact.buyer_key, "kind": fact.kind, "ref": fact.ref, "product": fact.product_id, "flagged": fact.flagged,
              "at": privacy.iso(fact.at)},
    )


@source("risk.abuse_flag_use", model="risk.AbuseFlagUse")
def abuse_flag_use(use) -> Fact:
    return Fact(
        kind="abuse.flag_used", subject_type="order", subject_id=use.order_id, actor_role="system", actor_id=None,
        body={"ref": use.ref, "buyer_key": use.buyer_key, "flagged": use.flagged, "counts": use.counts, "effect": use.effect,
              "at": privacy.iso(use.at)},
    )


@source("risk.abuse_contest", model="risk.AbuseContest", refires=True)
def abuse_contest(contest) -> Fact:
    answered = contest.answered_by_id is not None
    return Fact(
        kind=f"abuse.contest_{contest.status}"[:40], subject_type="account", subject_id=contest.user_id,
        actor_role="staff" if answered else "buyer", actor_id=contest.answered_by_id if answered else contest.user_id,
        body={"contest": contest.pk, "buyer_key": contest.buyer_key, "status": contest.status, "reason_sha256": privacy.text(contest.reason),
              "note_sha256": privacy.optional_text(contest.note), "at": privacy.iso(contest.answered_at or contest.created_at)},
    )
