"""评价 (电子商务法 §39): a buyer's rating of a confirmed order, which nobody can delete or edit.

One review per order, by the order's buyer (or its guest, by the order's token): 1–5 stars, text,
an optional image; one follow-up (追评) within KADUN_REVIEW_FOLLOWUP_DAYS; the merchant may reply
once to the review and once to the follow-up. Staff may hide a review that breaks the law or
exposes personal data — the row stays, its place on the page stays ("该评价因…已被隐藏"), and
every hide / unhide is a ``ReviewAudit`` row. ``shop`` / ``product`` / ``rating`` / ``created_at``
are what the shop's public record and the credit score read."""
from django.db import models

# Columns nobody may change once written (migration 0004_reviews_frozen: a trigger on PostgreSQL
# and SQLite refuses an UPDATE that touches them; PostgreSQL also refuses DELETE).
FROZEN = ("order_id", "shop_id", "product_id", "buyer_id", "rating", "text", "image", "image_sha256", "created_at")
# Columns written once (empty → set, by a conditional UPDATE … WHERE <at> IS NULL), then frozen.
ONCE = (("followup_at", ("followup_text", "followup_at")), ("reply_at", ("reply_text", "reply_at")),
        ("followup_reply_at", ("followup_reply_text", "followup_reply_at")))


class _NeverDeleted(models.QuerySet):
    def delete(self):
        raise RuntimeError("reviews are never deleted (电子商务法 §39)")


class Review(models.Model):
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="review")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="reviews")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="reviews")
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rating = models.PositiveSmallIntegerField(help_text="1–5 stars")
    text = models.TextField(blank=True)
    image = models.CharField(max_length=200, blank=True, help_text="stored file name of the optional picture")
    image_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    followup_text = models.TextField(blank=True)
    followup_at = models.DateTimeField(null=True, blank=True)
    reply_text = models.TextField(blank=True)
    reply_at = models.DateTimeField(null=True, blank=True)
    followup_reply_text = models.TextField(blank=True)
    followup_reply_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=20, blank=True, help_text="empty = shown; else the hide reason's code")
    hidden_at = models.DateTimeField(null=True, blank=True)
    keywords = models.JSONField(default=list, blank=True, help_text="risk keywords (canonical phrases) in text + follow-up")

    objects = _NeverDeleted.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="review_shop_recent"),
            models.Index(fields=["product", "-created_at"], name="review_product_recent"),
            models.Index(fields=["shop", "rating", "-created_at"], name="review_shop_rating"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Review: change a review only through kadun.reputation.services_reviews")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("reviews are never deleted (电子商务法 §39)")


class ReviewAudit(models.Model):
    """Every staff hide or unhide of a review: who, when, why. Never edited."""

    ACTIONS = [("hide", "隐藏"), ("unhide", "恢复显示")]

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="audits")
    action = models.CharField(max_length=8, choices=ACTIONS)
    reason = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    staff = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    objects = _NeverDeleted.as_manager()

    def delete(self, *args, **kwargs):
        raise RuntimeError("review audit rows are never deleted")
