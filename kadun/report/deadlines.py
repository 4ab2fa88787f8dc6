"""The transparency report's worker duty: today's row, once a day."""
from __future__ import annotations

from kadun.deadlines.registry import duty
from kadun.report import services

_done_day = None


@duty
def report_daily() -> int:
    """The first round of each Beijing day writes its report; later rounds read nothing (a
    process flag) — a new process checks the row once."""
    global _done_day
    day = services.report_day()
    if _done_day != day:
        services.report_build()
        _done_day = day
    return 0  # nothing more is due until tomorrow: the loop need not hurry
