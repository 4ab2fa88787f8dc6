"""After-sales cases (售后工单): the case, its thread, offers, evidence requests, decisions,
events (the timeline and governance facts) and SLA breaches.

Messages, attachments, events and decisions are written once and never changed: a correction is
a new message. ``save`` refuses to update an existing row of those models."""
from django.db import models

from kadun.cases.states import OPEN, CaseKind, CaseStatus, EvidenceRequestStatus, Fault, OfferStatus, Outcome, Party, Priority, Remedy


class WriteOnce(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError(f"{type(self).__name__} rows are written once and never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are never deleted")


class Case(models.Model):
    case_no = models.CharField(max_length=32, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="cases")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="cases", db_index=False)
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    status = models.CharField(max_length=24, choices=CaseStatus.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    # What the buyer asks for, and about which keys.
    remedy_claimed = models.CharField(max_length=16, choices=Remedy.choices, blank=True)
    amount_claimed = models.PositiveBigIntegerField(default=0)
    key_ids = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=20, help_text="refund-request reason the frozen rules are read with")
    statement = models.TextField()
    refund_request = models.ForeignKey("aftersales.RefundRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The deadline now running, who must act, and what happens if they do not.
    awaiting = models.CharField(max_length=10, choices=Party.choices, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    deadline_kind = models.CharField(max_length=40, blank=True)
    wait = models.ForeignKey("cases.CaseWait", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False)
    # Staff.
    assignee = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    arbitrator = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Facts for governance and the SLA.
    opened_at = models.DateTimeField()
    merchant_first_response_at = models.DateTimeField(null=True, blank=True)
    platform_since = models.DateTimeField(null=True, blank=True, help_text="when the case reached the platform")
    staff_first_response_at = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the case's running SLA clocks (kept by kadun.cases.sla with every
    # change of a clock): the staff queue's order, read from an index.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    replace_by = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    fault = models.CharField(max_length=10, choices=Fault.choices, blank=True)
    amount_refunded = models.PositiveBigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["shop", "-id"], name="case_shop_recent"),
            models.Index(fields=["order"], name="case_order"),
            models.Index(fields=["status", "platform_since"], condition=models.Q(status__in=list(OPEN)), name="case_open_queue"),
            models.Index(fields=["sla_due_at", "platform_since", "id"], condition=models.Q(status__in=["platform_review", "appealed"]),
                         name="case_staff_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status__in=list(OPEN)), name="one_open_case_per_order"),
            models.CheckConstraint(condition=models.Q(status="closed") | models.Q(closed_at__isnull=True), name="case_closed_at_only_closed"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class CaseWait(WriteOnce):
    """One wait with a deadline (the case on a party, an offer, an evidence request, a decision's
    appeal window, an SLA clock). Each wait schedules its own deadline row (subject: this id), so
    moving a wait never rewrites a deadline a sweeper may be firing: a superseded wait's deadline
    fires as a no-op (the case's ``wait`` is no longer it, or its subject moved on)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="waits")
    kind = models.CharField(max_length=40)
    ref_id = models.BigIntegerField(help_text="the case, offer, evidence request, decision or SLA clock waited on")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()


class CaseMessage(WriteOnce):
    """One message of an order's thread: the plain order chat (``case`` empty) or a case's (the
    order chat becomes the case thread when a case opens: the case page shows both)."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    party = models.CharField(max_length=10, choices=Party.choices)
    internal = models.BooleanField(default=False, help_text="a staff note buyer and merchant never see")
    body = models.TextField()
    lure = models.BooleanField(default=False, help_text="looks like an off-platform contact or payment")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "id"], name="case_message_order")]


class CaseAttachment(WriteOnce):
    message = models.ForeignKey(CaseMessage, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()


class CaseOffer(models.Model):
    """A merchant's offer in negotiation. Only the remedies the order's frozen rules allow."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="offers")
    remedy = models.CharField(max_length=16, choices=Remedy.choices)
    amount = models.PositiveBigIntegerField(default=0)
    replace_hours = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    answer_by = models.DateTimeField()
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(status="open"), name="one_open_offer_per_case")]


class EvidenceRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence_requests")
    party = models.CharField(max_length=10, choices=Party.choices)
    text = models.CharField(max_length=1000)
    asked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=EvidenceRequestStatus.choices, default=EvidenceRequestStatus.OPEN)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class CaseDecision(WriteOnce):
    """An arbitrator's decision (``appeal``: the final one on appeal). Its execution is recorded
    on the case (``outcome``, ``amount_refunded``) and in the events."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    appeal = models.BooleanField(default=False)
    arbitrator = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    remedy = models.CharField(max_length=16, choices=Remedy.choices)
    amount = models.PositiveBigIntegerField(default=0)
    replace_hours = models.PositiveIntegerField(null=True, blank=True)
    fault = models.CharField(max_length=10, choices=Fault.choices)
    reasons = models.TextField()
    clauses = models.JSONField(default=list, help_text="numbers of the frozen clauses cited")
    evidence = models.JSONField(default=list, help_text="message numbers (#n on the thread) cited")
    effective_at = models.DateTimeField(help_text="when the appeal window closes")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "appeal"], name="one_decision_per_case_stage")]


class CaseEvent(WriteOnce):
    """The case's timeline and the facts governance counts (opened, merchant_first_response,
    escalated, decided with outcome and fault, sla_breach, staff actions)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32)
    party = models.CharField(max_length=10, choices=Party.choices)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    staff_only = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="case_event_kind_at")]


class SlaClock(models.Model):
    """One SLA target of the platform's staff on a case: started when the case reached the
    platform, due after the target's minutes of support hours, paused while the case waits on a
    party (``remaining_seconds`` of support time is kept and the due time recomputed on resume),
    met when staff act, breached (an event and ``breached_at``) when the sweeper finds it due."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_clocks")
    target = models.CharField(max_length=20)
    minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "target"], name="sla_clock_once")]
        indexes = [models.Index(fields=["target", "started_at"], name="sla_clock_target_started")]
