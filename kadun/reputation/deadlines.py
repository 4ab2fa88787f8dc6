"""The credit score's worker duty (recompute shops marked dirty) and nightly deadline; and the ban
settlement of merchants' penalties (the credit work owns both)."""
import datetime as dt

from kadun.deadlines.registry import duty, handler
from kadun.merchants import penalties
from kadun.reputation import services


_armed = False


@duty
def credit_dirty() -> int:
    """Recompute shops marked dirty; the first round of a process arms the nightly run."""
    global _armed
    if not _armed:
        services.nightly_schedule()
        _armed = True
    return services.dirty_recompute()


@handler(services.KIND_NIGHTLY)
def credit_nightly(_night: int) -> str:
    """Every shop marked for the duty (chunked); then the next night."""
    from kadun.core import clock

    services.dirty_mark_all()
    services.nightly_schedule(clock.now() + dt.timedelta(minutes=1))
    return "done"


@handler(penalties.KIND_BAN_SETTLE)
def ban_settle(penalty_id: int) -> str:
    return penalties.ban_settle(penalty_id=penalty_id)
