from django.db import models


class DailyReport(models.Model):
    """The platform's public transparency report of one day (Beijing date): every figure as JSON
    (``kadun.report.figures``), written once by the daily duty and never changed, so history is
    kept and the page is one read."""

    day = models.DateField(unique=True)
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]
