"""评价 writes (电子商务法 §39): the buyer's review and follow-up, the merchant's replies, staff hide
and unhide. There is no edit and no delete — not here, not in the API, not in the database
(migration 0004: triggers refuse them). docs/reviews.md has the rules as the rules page shows them.

Who may review: the order's buyer — the logged-in account that bought it, or, for a guest order,
whoever holds its access (token or query password; ``orders.selectors.order_access`` says
``buyer``) — once per order, when the order is

- ``confirmed`` (确认收货, by the buyer or at the end of the inspection window), or
- ``refunded`` after delivery (``delivered_at`` set): a refund, partial or full, before or after
  confirmation, never takes the right to review away — those are the reviews buyers most need.

An order refunded before anything was delivered (never paid, expired, refunded while waiting for
the merchant to 接单) has nothing to rate and cannot be reviewed. These sets only grow (a confirmed
order can only become refunded, a delivered one confirmed or refunded), so reading the order
before the insert is no race; once per order is the database's unique ``order`` column.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.reputation import keywords, review_images
from kadun.reputation.errors import (
    AlreadyReplied, AlreadyReviewed, FollowupClosed, HideStateUnchanged, InvalidReview, NotReviewable, NotReviewStaff,
    NotTheBuyer, NotTheMerchant, ReviewNotFound, UnknownHideReason,
)
from kadun.reputation.models_reviews import Review, ReviewAudit
from kadun.reputation.services import score_refresh

BUYER = "buyer"
# Staff hide reasons (code → what the review's place says instead of the text).
HIDE_REASONS: dict[str, str] = {
    "personal_data": "含个人信息", "illegal": "违法违规", "insult": "辱骂", "unrelated": "与交易无关",
}
# Reviews hidden for these reasons no longer count in the credit score's rating (they are not
# about the trade); every other hidden review still counts — hiding protects people, not scores.
NOT_COUNTED_REASONS = ("unrelated",)
REVIEW_STAFF_ROLES = ("risk", "support")  # and admin (``has_staff_role``)
_ALLOWED_CONTROL = {"\n", "\t"}


def reviewable(order) -> bool:
    """Whether the order is one a review may be written for (the buyer check is the caller's role)."""
    return order.status == "confirmed" or (order.status == "refunded" and order.delivered_at is not None)


def clean_text(value, *, required: bool = False) -> str:
    """The text as stored: CRLF → LF, trimmed; refused (InvalidReview) when too long, when it holds
    NUL or another control character (tabs and new lines allowed), or when required and empty."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > settings.KADUN_REVIEW_TEXT_MAX or (required and not text):
        raise InvalidReview()
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL for ch in text):
        raise InvalidReview()
    return text


def followup_open(review) -> bool:
    """Whether the follow-up may still be written (the same test as the UPDATE's WHERE)."""
    since = clock.now() - dt.timedelta(days=settings.KADUN_REVIEW_FOLLOWUP_DAYS)
    return review.followup_at is None and review.created_at >= since


def _rating(value) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidReview() from None
    if not 1 <= rating <= 5:
        raise InvalidReview()
    return rating


def review_create(*, order, role: str, rating, text: str = "", image=None) -> Review:
    """The buyer's review of the order: once, race-safe (the unique ``order`` column; a second
    submission, concurrent or not, gets AlreadyReviewed and changes nothing)."""
    if role != BUYER:
        raise NotTheBuyer()
    if not reviewable(order):
        raise NotReviewable()
    stars, body = _rating(rating), clean_text(text)
    picture = review_images.check(image)
    now, staged = clock.now(), []
    try:
        with transaction.atomic():
            name, digest = review_images.stage(order.pk, now, picture, staged=staged)
            review = Review(order_id=order.pk, shop_id=order.shop_id, product_id=order.product_id, buyer_id=order.buyer_id,
                            rating=stars, text=body, image=name, image_sha256=digest, created_at=now,
                            keywords=keywords.matches(body))
            try:
                with transaction.atomic():
                    review.save(force_insert=True)
            except IntegrityError:
                raise AlreadyReviewed() from None
            evidence_log.record("reputation.review", review)
            score_refresh(shop_id=order.shop_id)
            review_images.after_commit(review.pk, name, len(picture[0]) if picture else 0)
    except Exception:
        review_images.discard(staged)
        raise
    return review


def _review_of_order(order) -> Review:
    review = Review.objects.filter(order_id=order.pk).first()
    if review is None:
        raise ReviewNotFound()
    return review


def review_followup(*, order, role: str, text: str) -> Review:
    """The buyer's one follow-up (追评), within KADUN_REVIEW_FOLLOWUP_DAYS of the review: one
    conditional UPDATE (… WHERE followup_at IS NULL AND created_at >= now − window)."""
    if role != BUYER:
        raise NotTheBuyer()
    body = clean_text(text, required=True)
    review = _review_of_order(order)
    now = clock.now()
    since = now - dt.timedelta(days=settings.KADUN_REVIEW_FOLLOWUP_DAYS)
    found = keywords.matches(review.text, body)
    with transaction.atomic():
        n = Review.objects.filter(pk=review.pk, followup_at__isnull=True, created_at__gte=since).update(
            followup_text=body, followup_at=now, keywords=found)
        if n != 1:
            raise FollowupClosed()
        review.refresh_from_db()
        evidence_log.record("reputation.review_followup", review)
        score_refresh(shop_id=review.shop_id)
    return review


def review_reply(*, review_id: int, shop, text: str, to_followup: bool = False) -> Review:
    """The shop's one reply to the review, and one to the follow-up (after there is one): a
    conditional UPDATE … WHERE shop = the merchant's shop AND reply_at IS NULL."""
    body = clean_text(text, required=True)
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        raise ReviewNotFound()
    if shop is None or review.shop_id != shop.pk:
        raise NotTheMerchant()
    now = clock.now()
    with transaction.atomic():
        qs = Review.objects.filter(pk=review.pk, shop_id=shop.pk)
        if to_followup:
            n = qs.filter(followup_at__isnull=False, followup_reply_at__isnull=True).update(followup_reply_text=body, followup_reply_at=now)
        else:
            n = qs.filter(reply_at__isnull=True).update(reply_text=body, reply_at=now)
        if n != 1:
            raise AlreadyReplied()
        review.refresh_from_db()
        evidence_log.record("reputation.review_followup_reply" if to_followup else "reputation.review_reply", review)
    return review


def _staff_check(staff) -> None:
    if staff is None or not getattr(staff, "is_authenticated", False) or not staff.has_staff_role(*REVIEW_STAFF_ROLES):
        raise NotReviewStaff()


def review_hide(*, review_id: int, staff, reason: str, note: str = "") -> ReviewAudit:
    """Staff hide a review (the row and its place stay; the page shows the reason instead of the
    text): a conditional UPDATE … WHERE hidden_reason = '' and the audit row, in one transaction."""
    _staff_check(staff)
    if reason not in HIDE_REASONS:
        raise UnknownHideReason()
    return _set_hidden(review_id=review_id, staff=staff, reason=reason, note=note, hide=True)


def review_unhide(*, review_id: int, staff, note: str = "") -> ReviewAudit:
    _staff_check(staff)
    return _set_hidden(review_id=review_id, staff=staff, reason="", note=note, hide=False)


def _set_hidden(*, review_id: int, staff, reason: str, note: str, hide: bool) -> ReviewAudit:
    note = clean_text(note)[:500]
    review = Review.objects.filter(pk=review_id).only("pk", "shop_id", "hidden_reason").first()
    if review is None:
        raise ReviewNotFound()
    now = clock.now()
    with transaction.atomic():
        qs = Review.objects.filter(pk=review_id)
        if hide:
            n = qs.filter(hidden_reason="").update(hidden_reason=reason, hidden_at=now)
        else:
            n = qs.exclude(hidden_reason="").update(hidden_reason="", hidden_at=None)
        if n != 1:
            raise HideStateUnchanged()
        audit = ReviewAudit.objects.create(review_id=review_id, action="hide" if hide else "unhide",
                                           reason=reason or review.hidden_reason, note=note, staff=staff, at=now)
        evidence_log.record("reputation.review_audit", audit)
        score_refresh(shop_id=review.shop_id)
    return audit
