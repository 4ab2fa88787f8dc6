"""Writes of the transparency report: one row per Beijing day, written once."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kadun.core import clock
from kadun.report import figures
from kadun.report.models import DailyReport

BEIJING = ZoneInfo("Asia/Shanghai")
WINDOW_DAYS = 30


def report_day(now: dt.datetime | None = None) -> dt.date:
    return (now or clock.now()).astimezone(BEIJING).date()


def report_build() -> bool:
    """Today's report (Beijing date), if it is not written yet: the last 30 days and all time, as
    of now. Idempotent: a second run the same day (or a racing worker: the day is unique) writes
    nothing. Returns whether it wrote the row."""
    now = clock.now()
    day = report_day(now)
    if DailyReport.objects.filter(day=day).exists():
        return False
    data = {
        "as_of": now.isoformat(), "window_days": WINDOW_DAYS,
        "last_30_days": figures.window(now - dt.timedelta(days=WINDOW_DAYS)), "all_time": figures.window(None),
    }
    DailyReport.objects.bulk_create([DailyReport(day=day, figures=data, computed_at=now)], ignore_conflicts=True)
    return DailyReport.objects.filter(day=day, computed_at=now).exists()
