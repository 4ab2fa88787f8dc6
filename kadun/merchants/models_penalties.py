"""处罚 (一次警告、二次封号): violations found against a shop, proposed by thresholds or by risk
staff, confirmed or dismissed with a reason, appealed to a different staff member. Imported by
merchants.models; written only by merchants.penalties*."""
from django.db import models

from kadun.merchants.penalty_rules import Level, PenaltyStatus


class Penalty(models.Model):
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="penalties")
    kind = models.CharField(max_length=32, help_text="the violation (penalty_rules.VIOLATIONS)")
    rule = models.CharField(max_length=40, help_text="the rule cited, e.g. penalties.missed_deadlines")
    status = models.CharField(max_length=12, choices=PenaltyStatus.choices, default=PenaltyStatus.PROPOSED)
    level = models.CharField(max_length=8, choices=Level.choices, blank=True, help_text="set on confirmation")
    evidence = models.JSONField(default=dict, blank=True, help_text="{orders: [ids], cases: [ids], breaches: [ids]}")
    note = models.TextField(blank=True, help_text="what was found")
    fine = models.PositiveBigIntegerField(default=0, help_text="分 from the deposit to the buyers harmed")
    fine_paid = models.BooleanField(default=False)
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    appeal_until = models.DateTimeField(null=True, blank=True)
    # 封号: what is left is paid out once every order's after-sales window and case has closed.
    ban_settles_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "status", "-decided_at"]), models.Index(fields=["status", "id"])]
        constraints = [
            # One open proposal of a kind per shop: thresholds re-checked on every breach don't pile up.
            models.UniqueConstraint(fields=["shop", "kind"], condition=models.Q(status="proposed"), name="penalty_one_proposal_per_kind"),
        ]


class PenaltyEvent(models.Model):
    """What happened to a penalty, in the transaction that did it (the audit trail)."""

    penalty = models.ForeignKey(Penalty, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class PenaltyAppeal(models.Model):
    """The merchant's appeal (申诉) of a confirmed penalty, within KADUN_PENALTY_APPEAL_DAYS; decided
    by a staff member other than the one who confirmed the penalty."""

    penalty = models.OneToOneField(Penalty, on_delete=models.PROTECT, related_name="appeal")
    reason = models.TextField()
    status = models.CharField(max_length=10, default="open")  # open / upheld / overturned
    filed_at = models.DateTimeField()
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
