"""What the abnormal-order alert duty (kadun.risk.alerts) keeps between runs: a watermark per
source of facts, and the normalised keys of lure flags (to find one lure in many shops)."""
from django.db import models


class AlertCursor(models.Model):
    """The last id of a source (``orders``, ``refunds``, ``lures``) the rules have read. A sweep
    locks the row for its batch, so two sweepers never read the same batch (the second skips it)."""

    source = models.CharField(max_length=20, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)


class LureKey(models.Model):
    """One normalised contact (``wechat:abc123``) or text digest (``text:<sha256>``) of a LureFlag,
    with the flag's shop: rule f counts the distinct shops per key."""

    key = models.CharField(max_length=100)
    flag_id = models.BigIntegerField()
    shop_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "created_at"], name="risk_lurekey_key_time")]
        constraints = [models.UniqueConstraint(fields=["flag_id", "key"], name="risk_lurekey_once_per_flag")]
