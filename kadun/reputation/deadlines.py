"""The credit score's deadlines: the debounced recompute of one shop and the nightly run; and the
ban settlement of merchants' penalties (the credit work owns both)."""
import datetime as dt

from kadun.deadlines.registry import handler
from kadun.merchants import penalties
from kadun.reputation import services


@handler(services.KIND_REFRESH)
def credit_refresh(shop_id: int) -> str:
    services.score_recompute(shop_id=shop_id, reason="event")
    services.nightly_schedule()
    return "done"


@handler(services.KIND_NIGHTLY)
def credit_nightly(_night: int) -> str:
    """Every shop, chunked; then the next night."""
    from kadun.core import clock

    services.scores_recompute_all()
    services.nightly_schedule(clock.now() + dt.timedelta(minutes=1))
    return "done"


@handler(penalties.KIND_BAN_SETTLE)
def ban_settle(penalty_id: int) -> str:
    return penalties.ban_settle(penalty_id=penalty_id)
