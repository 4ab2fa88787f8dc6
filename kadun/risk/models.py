from django.db import models

from kadun.risk.states import AlertKind, AlertStatus


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

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="risk_alert_status_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(status="open"), name="risk_one_open_alert_per_subject"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(resolved_at__isnull=False), name="risk_resolved_has_time"
            ),
        ]
