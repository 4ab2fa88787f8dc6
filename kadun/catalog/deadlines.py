"""The catalog's worker duty: every comparable group's median once a day (超低价 warning)."""
from __future__ import annotations

from kadun.catalog import comparables
from kadun.core import clock
from kadun.deadlines.registry import duty

_last_day = None


@duty
def comparables_daily() -> int:
    """Once per UTC day per process (the first round after midnight): every group's median.
    Products that change refresh their own group at once; this catches shops that stopped or
    started selling."""
    global _last_day
    today = clock.now().date()
    if _last_day != today:
        _last_day = today
        comparables.groups_refresh_all()
    return 0  # nothing more is due until tomorrow: the loop need not hurry
