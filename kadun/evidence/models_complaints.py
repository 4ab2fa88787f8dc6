"""Public complaints (曝光): a buyer's complaint about an order, with verified fields the code
built from the platform's records (frozen at creation), the buyer's own statement, staff
moderation, the merchant's one reply, and an audit trail that keeps every original.

The verified fields (``FROZEN``) never change after the row is written: ``save`` refuses to
update an existing row (the services change only the moderation columns, by conditional
``UPDATE``), and the database refuses an UPDATE that touches them (migration
``0002_complaints``: a trigger on PostgreSQL and SQLite)."""
from django.db import models

from kadun.evidence.complaints_states import ComplaintStatus, PublicOutcome

# The columns nobody may change once written (the database trigger lists the same).
FROZEN = ("complaint_no", "order_id", "case_id", "shop_id", "author_id", "basis", "category", "delivery",
          "amount_band", "outcome", "facts", "facts_hash", "statement", "created_at")
REPLY_FROZEN = ("complaint_id", "shop_id", "author_id", "body", "created_at")


class _Frozen(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError(f"{type(self).__name__}: verified fields are frozen; change moderation columns through the services")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are never deleted")


class Complaint(_Frozen):
    complaint_no = models.CharField(max_length=24, unique=True)
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="+", help_text="one complaint per order")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+", db_index=False)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="empty: a guest buyer")
    # Verified fields, built by code (kadun.evidence.complaints_facts), frozen.
    basis = models.CharField(max_length=20)
    category = models.CharField(max_length=20)
    delivery = models.CharField(max_length=10)
    amount_band = models.CharField(max_length=12)
    outcome = models.CharField(max_length=24, choices=PublicOutcome.choices)
    facts = models.JSONField(help_text="dates, rules, timeline, decision, citations (evidence entry ids)")
    facts_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of facts")
    statement = models.TextField(help_text="the buyer's own words as written (staff-only once redacted)")
    created_at = models.DateTimeField()
    # Moderation (changed only by the services' conditional updates).
    status = models.CharField(max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.PENDING)
    statement_shown = models.TextField(help_text="what the public sees: the statement, or its redaction")
    redaction_reason = models.CharField(max_length=16, blank=True)
    moderated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-id"], name="complaint_status_recent"),
            models.Index(fields=["shop", "status", "-id"], name="complaint_shop_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(status="published") | models.Q(published_at__isnull=False), name="complaint_published_at"),
            models.CheckConstraint(condition=~models.Q(status="withdrawn") | models.Q(withdrawn_at__isnull=False), name="complaint_withdrawn_at"),
        ]

    @property
    def public(self) -> bool:
        """Shown on the board: published, or withdrawn after it was published (a notice only)."""
        return self.status == ComplaintStatus.PUBLISHED or (self.status == ComplaintStatus.WITHDRAWN and self.published_at is not None)


class ComplaintReply(_Frozen):
    """The merchant's one public reply (published at once; staff may redact it as a complaint)."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="reply")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+", db_index=False)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()
    body_shown = models.TextField()
    redaction_reason = models.CharField(max_length=16, blank=True)


class ComplaintAction(_Frozen):
    """The audit trail, written once per action: published, approved, rejected, redacted,
    reply_redacted, replied, withdrawn. ``original`` keeps the text a redaction hid (staff
    only); each action has its evidence entry (source ``evidence.complaint_action``)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=16)
    actor_role = models.CharField(max_length=10, help_text="buyer, merchant, staff")
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    original = models.TextField(blank=True, help_text="the text before a redaction (staff only)")
    redacted = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
