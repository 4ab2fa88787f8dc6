"""店铺档案: each shop's public record, computed off the request path.

One row per shop holding the aggregate figures (orders, refunds, cases, reviews, response times,
monthly ratings) as ``services_record.records_recompute`` last counted them. It is recomputed
with the credit score — the same ScoreDirty mark + worker duty (events: within
KADUN_CREDIT_REFRESH_DELAY_SECONDS) and the nightly run for every shop — so the purchase path
writes nothing new and pages read one row instead of aggregating orders."""
from django.db import models


class ShopRecord(models.Model):
    shop = models.OneToOneField("merchants.Shop", on_delete=models.CASCADE, primary_key=True, related_name="+")
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
