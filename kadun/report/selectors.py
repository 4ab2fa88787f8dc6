"""Reads of the transparency report: one row per page."""
from __future__ import annotations

from kadun.report.models import DailyReport


def report_of(day=None) -> DailyReport | None:
    """The report of ``day``, or the latest one."""
    qs = DailyReport.objects.all()
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("-day").first()
