"""跑路 signals, each computed from facts other rooms record, with its published threshold and
weight (settings.KADUN_RUNAWAY_SIGNALS, shown on /rules/merchants/). A signal is on when its
count reaches its threshold; the shop's risk score is the sum of the weights of the signals on.
Each signal returns its facts (what staff see behind it, and what the alert records)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.conf import settings

from kadun.aftersales import selectors_runaway as aftersales_reads
from kadun.cases import selectors_runaway as case_reads
from kadun.inventory import selectors_runaway as inventory_reads
from kadun.merchants import selectors_runaway as merchant_reads
from kadun.orders import selectors_runaway as order_reads

SILENT_BREACHES = ("refund_no_response", "replacement_promise_broken", "service_overdue")


@dataclass
class Signal:
    name: str
    value: int
    threshold: int
    weight: int
    facts: dict = field(default_factory=dict)

    @property
    def on(self) -> bool:
        return self.value >= self.threshold

    def as_dict(self) -> dict:
        return asdict(self) | {"on": self.on}


def rule(name: str) -> dict:
    return settings.KADUN_RUNAWAY_SIGNALS[name]


def silent(shop_id: int, now: dt.datetime) -> Signal:
    """逾期未处理: breaches (refund request unanswered, replacement promise broken, service
    overdue) and cases escalated for the merchant's silence, in the last window_hours."""
    r = rule("silent")
    since = now - dt.timedelta(hours=r["window_hours"])
    breaches = merchant_reads.breaches_since(shop_id=shop_id, since=since, kinds=SILENT_BREACHES)
    cases = case_reads.merchant_silent_events(shop_id=shop_id, since=since)
    return Signal("silent", len(breaches) + len(cases), r["threshold"], r["weight"], {"breaches": breaches, "cases": cases})


def withdrawal_after_complaints(shop_id: int, now: dt.datetime, withdrawal_at: dt.datetime | None) -> Signal:
    """投诉激增后提现: a withdrawal requested in the last window_hours, and refund requests +
    cases opened in the complaint_days before it. No recent withdrawal: 0."""
    r = rule("withdrawal_after_complaints")
    if withdrawal_at is None or withdrawal_at < now - dt.timedelta(hours=r["window_hours"]):
        return Signal("withdrawal_after_complaints", 0, r["threshold"], r["weight"], {"withdrawal_at": None})
    since = withdrawal_at - dt.timedelta(days=r["complaint_days"])
    requests = aftersales_reads.requests_since(shop_id=shop_id, since=since)
    cases = case_reads.cases_opened_since(shop_id=shop_id, since=since)
    facts = {"withdrawal_at": withdrawal_at.isoformat(), "refund_requests": requests, "cases": cases}
    return Signal("withdrawal_after_complaints", requests + cases, r["threshold"], r["weight"], facts)


def invalid_keys(shop_id: int, now: dt.datetime) -> Signal:
    """批次卡密大量无效: the worst batch of the last batch_days with at least min_revealed keys
    revealed; its value is the share (percent) of its revealed keys reported invalid (refund
    requests with reason invalid_key, verification reports used/invalid). Below min_revealed: 0."""
    r = rule("invalid_keys")
    since = now - dt.timedelta(days=r["batch_days"])
    batches = inventory_reads.batch_reveals(shop_id=shop_id, since=since)
    claimed = aftersales_reads.invalid_key_ids(shop_id=shop_id, since=since) if batches else set()
    worst, facts = 0, {"batch_id": None}
    for batch_id, b in sorted(batches.items()):
        revealed = b["revealed"]
        if len(revealed) < r["min_revealed"]:
            continue
        reported = (b["reported"] | claimed) & revealed
        share = len(reported) * 100 // len(revealed)
        if share >= worst:
            worst = share
            facts = {"batch_id": batch_id, "product_id": b["product_id"], "revealed": len(revealed), "reported_invalid": len(reported)}
    return Signal("invalid_keys", worst, r["share_percent"], r["weight"], facts)


def inactive_with_queue(shop_id: int, now: dt.datetime) -> Signal:
    """服务商家失联: manual orders paid and undelivered (its value: how many) while the merchant
    has neither logged in nor acted on an order for inactive_hours. Active: 0."""
    r = rule("inactive_with_queue")
    queue = order_reads.queued_manual(shop_id=shop_id)
    seen = [t for t in (merchant_reads.owner_last_login(shop_id), order_reads.last_merchant_action_at(shop_id=shop_id)) if t]
    last = max(seen) if seen else None
    if last is None:
        brief = merchant_reads.shop_brief(shop_id)
        last = brief["created_at"] if brief else None
    facts = {"queued": queue["count"], "oldest_paid_at": queue["oldest_paid_at"].isoformat() if queue["oldest_paid_at"] else None,
             "last_activity_at": last.isoformat() if last else None}
    inactive = last is None or last <= now - dt.timedelta(hours=r["inactive_hours"])
    return Signal("inactive_with_queue", queue["count"] if inactive else 0, r["queued"], r["weight"], facts)


def abnormal_alerts(shop_id: int, now: dt.datetime) -> Signal:
    """异常订单预警 about the shop (kadun.risk.alerts_signal), open or confirmed as fraud."""
    from kadun.risk.alerts_signal import shop_alert_facts

    r = rule("abnormal_alerts")
    facts = shop_alert_facts(shop_id=shop_id, since=now - dt.timedelta(days=r["days"]))
    return Signal("abnormal_alerts", len(facts["alert_ids"]), r["threshold"], r["weight"], facts)


def evaluate(shop_id: int, now: dt.datetime, *, withdrawal_at: dt.datetime | None = None) -> tuple[int, list[Signal]]:
    """Every signal of the shop and its score (sum of the weights of the signals on)."""
    signals = [silent(shop_id, now), withdrawal_after_complaints(shop_id, now, withdrawal_at), invalid_keys(shop_id, now),
               inactive_with_queue(shop_id, now), abnormal_alerts(shop_id, now)]
    return sum(s.weight for s in signals if s.on), signals
