"""跑路 protection: a shop's latest risk evaluation, its freeze, and the runaway disposal with
one job row per order refunded."""
from django.db import models

from kadun.risk.states import DisposalStatus, FreezeStatus, JobStatus


class RunawayWatch(models.Model):
    """The shop's latest evaluation (score and the facts behind each signal), and the one fact
    risk keeps itself: when a withdrawal was last requested (the funds app tells us)."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.PROTECT, related_name="runaway_watch")
    score = models.PositiveIntegerField(default=0)
    signals = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    last_withdrawal_at = models.DateTimeField(null=True, blank=True)


class ShopFreeze(models.Model):
    """冻结: listings paused, withdrawals blocked, escrow held past auto-confirm. At most one
    active per shop; lifting it (解冻) records who, when and why, and auto-confirm resumes."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="risk_freezes")
    status = models.CharField(max_length=12, choices=FreezeStatus.choices, default=FreezeStatus.ACTIVE)
    reason = models.CharField(max_length=500)
    score = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True, help_text="the signals and their facts when frozen")
    alert = models.ForeignKey("risk.RiskAlert", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    frozen_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="empty: automatic")
    frozen_at = models.DateTimeField()
    lifted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop"], condition=~models.Q(status="lifted"), name="risk_one_freeze_per_shop"),
            models.CheckConstraint(condition=~models.Q(status="lifted") | models.Q(lifted_at__isnull=False), name="risk_freeze_lifted_has_time"),
        ]


class RunawayDisposal(models.Model):
    """跑路处置, declared by risk staff on a frozen shop: every order still within its
    after-sales window (or with an open refund request or case) is refunded in full by the
    sweeper, one ``RunawayRefund`` job per order."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="runaway_disposals")
    freeze = models.OneToOneField(ShopFreeze, on_delete=models.PROTECT, related_name="disposal")
    status = models.CharField(max_length=12, choices=DisposalStatus.choices, default=DisposalStatus.RUNNING)
    reason = models.CharField(max_length=500)
    notice = models.CharField(max_length=500, help_text="shown to buyers on the shop page")
    declared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()
    orders_total = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]


class RunawayRefund(models.Model):
    """One order of a disposal: pending until the sweeper refunds it (or skips it: already
    refunded or closed). Its status changes once, in the refund's transaction."""

    disposal = models.ForeignKey(RunawayDisposal, on_delete=models.PROTECT, related_name="jobs")
    order_id = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    amount = models.PositiveBigIntegerField(default=0, help_text="refunded by this job, in 分")
    refund_key = models.CharField(max_length=80, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_id"], name="risk_runaway_refund_once_per_order")]
        indexes = [models.Index(fields=["disposal", "status"], name="risk_runaway_job_progress")]
