from django.db import models

from kadun.aftersales.states import OPEN, Outcome, Reason, RequestStatus


class RefundRequest(models.Model):
    """A buyer's refund request, the engine's decision with the clauses it cited, and what the
    merchant or a deadline did with it."""

    request_no = models.CharField(max_length=32, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refund_requests")
    # The order's shop, copied: the merchant's queue and history read by shop without a join.
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="refund_requests", db_index=False)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    statement = models.TextField(blank=True)
    key_ids = models.JSONField(default=list, blank=True, help_text="the card keys the request is about")
    amount_requested = models.PositiveBigIntegerField()
    amount_refunded = models.PositiveBigIntegerField(default=0)
    destination = models.CharField(max_length=10, default="source")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    clauses = models.JSONField(default=list, help_text="numbers of the clauses of the frozen policy the decision used")
    explanation = models.CharField(max_length=500)
    status = models.CharField(max_length=24, choices=RequestStatus.choices)
    respond_by = models.DateTimeField(null=True, blank=True)
    replace_by = models.DateTimeField(null=True, blank=True)
    merchant_note = models.CharField(max_length=1000, blank=True)
    client_key = models.CharField(max_length=64, blank=True, help_text="Idempotency-Key sent by the client")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["shop", "-id"], name="refund_shop_recent"),
            models.Index(fields=["shop"], condition=models.Q(status__in=list(OPEN)), name="refund_shop_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status__in=list(OPEN)), name="one_open_refund_request_per_order"),
            models.UniqueConstraint(fields=["order", "client_key"], condition=~models.Q(client_key=""), name="refund_request_client_key_once"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class RefundEvidence(models.Model):
    """An image attached by the buyer or the merchant; type checked by content, ≤ 5 MB."""

    request = models.ForeignKey(RefundRequest, on_delete=models.PROTECT, related_name="evidence")
    party = models.CharField(max_length=10, help_text="buyer / merchant")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()


class RefundEvent(models.Model):
    """The request's timeline, written with each change."""

    request = models.ForeignKey(RefundRequest, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.CharField(max_length=12)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class BuyerRefundStat(models.Model):
    """Per-buyer refund counts and outcomes (a user, or a guest by hashed contact), kept for
    merchant governance and abuse review."""

    buyer_key = models.CharField(max_length=80, unique=True)
    requests = models.PositiveIntegerField(default=0)
    instant = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    not_eligible = models.PositiveIntegerField(default=0)
    refunded_amount = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
