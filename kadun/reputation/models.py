from django.db import models


class ShopScore(models.Model):
    """信用分: a shop's current credit score (0–1000) and its breakdown, recomputed on every
    relevant event and nightly (``reputation.services``). ``provisional`` marks a new shop (新商家)."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.PROTECT, related_name="score")
    score = models.PositiveSmallIntegerField()
    provisional = models.BooleanField(default=True)
    components = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()
