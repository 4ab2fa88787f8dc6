"""Buyer abuse records (用后退款防护): who a buyer is across accounts, devices and contacts
(``AbuseLink``), the facts counted against them (``AbuseFact``), their contests
(``AbuseContest``) and the flag state a default decision used (``AbuseFlagUse``).
A buyer identity ("buyer key") is ``user:<id>`` or, for a guest, ``contact:<keyed hash>``. No
IP, device id or contact is stored in clear: only keyed hashes (``evidence.privacy.keyed``)."""
from django.db import models

from kadun.risk.states import AbuseFactKind, ContestStatus, SignalKind


class AbuseLink(models.Model):
    """A buyer key seen with a signal (a keyed hash of a device cookie, a contact or an IP)."""

    buyer_key = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=SignalKind.choices)
    signal = models.CharField(max_length=64, help_text="keyed hash; purpose-separated, so kinds never collide")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["buyer_key", "signal"], name="risk_abuse_link_once")]
        indexes = [models.Index(fields=["signal", "last_seen"], name="risk_abuse_link_signal")]


class AbuseFact(models.Model):
    """One counted fact of a buyer key's record, written in the transaction that made it.
    ``ref`` names it (``refund_request:<no>``, ``case:<no>``) so it is counted once.
    ``cleared_by``: an accepted contest took it off the record (the row stays)."""

    buyer_key = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=AbuseFactKind.choices)
    ref = models.CharField(max_length=60)
    order_id = models.BigIntegerField()
    product_id = models.BigIntegerField(null=True, blank=True)
    flagged = models.BooleanField(default=False, help_text="the buyer's flag when the fact was recorded (shown with the request)")
    at = models.DateTimeField()
    cleared_by = models.ForeignKey("risk.AbuseContest", on_delete=models.PROTECT, null=True, blank=True, related_name="cleared")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="risk_abuse_fact_once")]
        indexes = [models.Index(fields=["buyer_key", "at"], name="risk_abuse_fact_key_recent")]


class AbuseContest(models.Model):
    """A buyer contests their record; risk staff accept (the facts then on it are cleared) or
    reject (it stands), with a note. One open contest per buyer key."""

    buyer_key = models.CharField(max_length=80)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=ContestStatus.choices, default=ContestStatus.OPEN)
    created_at = models.DateTimeField()
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer_key"], condition=models.Q(status="open"), name="risk_abuse_one_open_contest"),
            models.CheckConstraint(condition=models.Q(status="open") | models.Q(answered_by__isnull=False), name="risk_abuse_contest_answered_by"),
        ]


class AbuseFlagUse(models.Model):
    """The flag state a default outcome read (a merchant's missed deadline on a refund request):
    the fact that decided where the request went, in the evidence log."""

    ref = models.CharField(max_length=60, unique=True)
    order_id = models.BigIntegerField()
    buyer_key = models.CharField(max_length=80)
    flagged = models.BooleanField()
    counts = models.JSONField(default=dict)
    effect = models.CharField(max_length=20, help_text="refunded / platform_review")
    at = models.DateTimeField()
