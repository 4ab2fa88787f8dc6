from django.db import models


class ShopScore(models.Model):
    """信用分: a shop's current credit score (0–1000) and its breakdown, recomputed on every
    relevant event and nightly (``reputation.services``). ``provisional`` marks a new shop (新商家)."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.PROTECT, related_name="score")
    score = models.PositiveSmallIntegerField()
    provisional = models.BooleanField(default=True)
    components = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()


class ScoreHistory(models.Model):
    """A shop's score each time it changed, with the breakdown that gave it (the credit page's chart)."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="score_history")
    score = models.PositiveSmallIntegerField()
    provisional = models.BooleanField(default=False)
    components = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=40, blank=True, help_text="event / nightly")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shop", "-at"])]


class ScoreContest(models.Model):
    """A merchant contests one component of its score (申诉): risk staff answer it in the staff
    console. (Cases are about an order; a score is about the shop, so it is its own row.)"""

    STATUSES = [("open", "待处理"), ("accepted", "已采纳"), ("rejected", "已驳回")]

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="score_contests")
    component = models.CharField(max_length=20)
    reason = models.TextField()
    score = models.PositiveSmallIntegerField(help_text="the score when contested")
    status = models.CharField(max_length=10, choices=STATUSES, default="open")
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"])]


class ScoreDirty(models.Model):
    """A shop whose score an event changed: recomputed by the worker's duty once ``marked_at`` is
    KADUN_CREDIT_REFRESH_DELAY_SECONDS old (a burst of events: one row, one recompute). Events
    upsert ``touched_at``; the duty deletes only rows not touched since it started."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.CASCADE, primary_key=True, related_name="+")
    marked_at = models.DateTimeField()
    touched_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["marked_at"])]


from kadun.reputation.models_reviews import Review, ReviewAudit  # noqa: E402,F401
from kadun.reputation.models_record import ShopRecord  # noqa: E402,F401
