"""Reviews' facts in the evidence log: the review written, the follow-up, the merchant's replies,
and every staff hide / unhide. One review row is up to four facts, each its own source reading
only its own columns (so a later follow-up never "changes" the logged review). Texts go in by
their SHA-256, the picture by the SHA-256 of its bytes (a column the database keeps frozen)."""
from __future__ import annotations

from django.db.models import Q

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


def _buyer(review) -> tuple[str, int | None]:
    return ("buyer", review.buyer_id) if review.buyer_id else ("guest", None)


@source("reputation.review", model="reputation.Review")
def review_written(review) -> Fact:
    role, actor = _buyer(review)
    return Fact(
        kind="review.written", subject_type="order", subject_id=review.order_id, actor_role=role, actor_id=actor,
        body={"review": review.pk, "shop": review.shop_id, "product": review.product_id, "rating": review.rating,
              "text_sha256": privacy.optional_text(review.text), "sha256": review.image_sha256 or None,
              "at": privacy.iso(review.created_at)},
    )


@source("reputation.review_followup", model="reputation.Review", covers=lambda: Q(followup_at__isnull=False))
def review_followup(review) -> Fact:
    role, actor = _buyer(review)
    return Fact(
        kind="review.followup", subject_type="order", subject_id=review.order_id, actor_role=role, actor_id=actor,
        body={"review": review.pk, "text_sha256": privacy.optional_text(review.followup_text), "at": privacy.iso(review.followup_at)},
    )


@source("reputation.review_reply", model="reputation.Review", covers=lambda: Q(reply_at__isnull=False))
def review_reply(review) -> Fact:
    return Fact(
        kind="review.reply", subject_type="order", subject_id=review.order_id, actor_role="merchant", actor_id=None,
        body={"review": review.pk, "shop": review.shop_id, "text_sha256": privacy.optional_text(review.reply_text),
              "at": privacy.iso(review.reply_at)},
    )


@source("reputation.review_followup_reply", model="reputation.Review", covers=lambda: Q(followup_reply_at__isnull=False))
def review_followup_reply(review) -> Fact:
    return Fact(
        kind="review.followup_reply", subject_type="order", subject_id=review.order_id, actor_role="merchant", actor_id=None,
        body={"review": review.pk, "shop": review.shop_id, "text_sha256": privacy.optional_text(review.followup_reply_text),
              "at": privacy.iso(review.followup_reply_at)},
    )


@source("reputation.review_audit", model="reputation.ReviewAudit", related=("review",))
def review_audit(audit) -> Fact:
    return Fact(
        kind=f"review.{audit.action}", subject_type="order", subject_id=audit.review.order_id, actor_role="staff", actor_id=audit.staff_id,
        body={"review": audit.review_id, "action": audit.action, "reason": audit.reason,
              "note_sha256": privacy.optional_text(audit.note), "at": privacy.iso(audit.at)},
    )
