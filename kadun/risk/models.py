from django.db import models

from kadun.risk.states import AlertKind, AlertResolution, AlertStatus, AuthorRole, LureWhere


class RiskAlert(models.Model):
    """风控预警: an abnormal pattern for risk staff. ``subject`` names what it is about
    (``shop:<id>``, later ``order:<id>``, ``buyer:<key>`` …); at most one open alert per kind and
    subject. Resolving it records who and when (and, for some kinds, lifts a restriction)."""

    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    subject = models.CharField(max_length=80)
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="risk_alerts", null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField()
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)
    # 异常订单预警 (kadun.risk.alerts): how it was closed, who holds it, how often it recurred.
    resolution = models.CharField(max_length=20, choices=AlertResolution.choices, blank=True)
    assigned_to = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1, help_text="times the rule found it while it was open")
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="risk_alert_status_recent"),
            models.Index(fields=["shop", "kind"], name="risk_alert_shop_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(status="open"), name="risk_one_open_alert_per_subject"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(resolved_at__isnull=False), name="risk_resolved_has_time"
            ),
        ]


class LureFlag(models.Model):
    """脱离平台交易: a text someone wrote (a product description, a delivery note, a rejection note,
    a case message …) that invites the other side off the platform — a WeChat id, a QQ or phone
    number, a Telegram handle, an outside payment link or phrase (``kadun.risk.lures``). Kept for
    risk staff with the text and who wrote it; ``violation`` marks a repeat (a recorded breach for
    a merchant, and an alert)."""

    where = models.CharField(max_length=24, choices=LureWhere.choices)
    subject = models.CharField(max_length=80, help_text="what the text belongs to: order:<id>, product:<id>, case:<id>")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    author_role = models.CharField(max_length=10, choices=AuthorRole.choices)
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="lure_flags", null=True, blank=True)
    text = models.TextField(help_text="the text as written, at most 2000 characters")
    kinds = models.JSONField(default=list)
    matches = models.JSONField(default=list)
    violation = models.BooleanField(default=False, help_text="a repeat within the window: a recorded violation")
    created_at = models.DateTimeField()
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["-id"], condition=models.Q(reviewed_at__isnull=True), name="risk_lure_unreviewed"),
            models.Index(fields=["author", "created_at"], name="risk_lure_author_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False), name="risk_lure_reviewed_by_someone"
            ),
        ]


class LureAuthor(models.Model):
    """One row per author ever flagged: how many flags in all and when the last was. A new flag
    updates it first, so two flags of one author at once are counted one after the other (the
    row's lock), and each repeat is recorded once."""

    author = models.OneToOneField("accounts.User", on_delete=models.PROTECT, related_name="+")
    flags = models.PositiveIntegerField(default=0)
    last_flagged_at = models.DateTimeField()


from kadun.risk.models_freeze import RunawayDisposal, RunawayRefund, RunawayWatch, ShopFreeze  # noqa: E402,F401
from kadun.risk.models_abuse import AbuseContest, AbuseFact, AbuseFlagUse, AbuseLink  # noqa: E402,F401
from kadun.risk.models_alerts import AlertCursor, LureKey  # noqa: E402,F401
