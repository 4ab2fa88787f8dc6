"""Risk's deadline kinds: a shop's 跑路 evaluation, and the runaway disposal's refunds."""
from kadun.deadlines.registry import batch_handler, duty, handler
from kadun.risk import runaway, runaway_disposal


def _evaluate(shop_id: int, trigger: str) -> str:
    result = runaway.runaway_evaluate(shop_id=shop_id, trigger=trigger)
    return "frozen" if result.froze_now else ("alert" if result.alert_id else "done")


@handler(runaway.KIND_EVALUATE)
def evaluate(shop_id: int) -> str:
    return _evaluate(shop_id, runaway.KIND_EVALUATE)


@handler(runaway.KIND_RECHECK)
def recheck(shop_id: int) -> str:
    return _evaluate(shop_id, runaway.KIND_RECHECK)


@handler(runaway_disposal.KIND_REFUND)
def refund(job_id: int) -> str:
    return runaway_disposal.runaway_refund_job(job_id=job_id)


@batch_handler(runaway_disposal.KIND_REFUND)
def refund_many(job_ids: list[int]) -> dict[int, str]:
    return runaway_disposal.runaway_refund_jobs(job_ids=job_ids)


@duty
def abnormal_order_alerts() -> int:
    """异常订单预警: the rules over the facts recorded since the last run (kadun.risk.alerts).
    Counts as work done: the alerts raised or added to (reading facts alone is not)."""
    from kadun.risk import alerts

    return alerts.alerts_sweep_counts()[1]
