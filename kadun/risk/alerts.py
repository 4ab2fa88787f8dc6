"""异常订单预警: the worker duty that evaluates the rules, and the writes on an alert (note a
finding, assign, close with a resolution).

The duty reads only new facts: per source (orders, refund requests with reason 卡密无效, lure
flags) an ``AlertCursor`` holds the last id read. A batch is claimed by moving the cursor with a
conditional update from the id it read (and, on PostgreSQL, the cursor row is taken with SKIP
LOCKED), so two sweepers never evaluate the same batch; the rules' alerts are written in the same
transaction. It never runs on the purchase path."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from kadun.core import clock
from kadun.orders import selectors_alerts as order_reads
from kadun.aftersales import selectors_alerts as aftersales_reads
from kadun.risk import alert_rules, alert_rules_claims
from kadun.risk.alert_rules import Finding
from kadun.risk.errors import AlertAlreadyResolved, AlertNotFound, NotRiskStaff
from kadun.risk.errors_alerts import AlertAssignedElsewhere
from kadun.risk.models import AlertCursor, LureFlag, LureKey, RiskAlert
from kadun.risk.runaway import runaway_poke
from kadun.risk.services import alert_raise, can_resolve
from kadun.risk.states import AlertStatus

log = logging.getLogger("kadun.risk")


def _lure_flags_after(*, after_id: int, until: dt.datetime, limit: int) -> list[dict]:
    return list(LureFlag.objects.filter(pk__gt=after_id, created_at__lt=until, shop__isnull=False).order_by("pk")
                .values("id", "shop_id", "text", "matches", "created_at")[:limit])


def _lure_rules(flags: list[dict]) -> list[Finding]:
    """Record the batch's keys, then count each key's shops over the window."""
    rows = [LureKey(key=key[:100], flag_id=f["id"], shop_id=f["shop_id"], created_at=f["created_at"])
            for f in flags for key in alert_rules_claims.lure_keys(f["text"], f["matches"])]
    LureKey.objects.bulk_create(rows, ignore_conflicts=True)
    since = max(f["created_at"] for f in flags) - dt.timedelta(days=settings.KADUN_ALERT_LURE_SHOPS["days"])
    seen: dict[str, dict] = {}
    for key, shop_id, flag_id in LureKey.objects.filter(key__in={r.key for r in rows}, created_at__gte=since).values_list("key", "shop_id", "flag_id"):
        entry = seen.setdefault(key, {"shop_ids": set(), "flag_ids": []})
        entry["shop_ids"].add(shop_id)
        entry["flag_ids"].append(flag_id)
    return alert_rules_claims.lure_across_shops(flags, seen)


def _run(rules):
    return lambda facts: [finding for rule in rules for finding in rule(facts)]


SOURCES = {
    "orders": (order_reads.orders_after, _run(alert_rules.ORDER_RULES)),
    "refunds": (aftersales_reads.invalid_requests_after, _run(alert_rules_claims.REFUND_RULES)),
    "lures": (_lure_flags_after, _lure_rules),
}


def _cursor(source: str) -> int | None:
    """The cursor's last id, the row locked for this transaction; None if another sweeper holds it."""
    AlertCursor.objects.get_or_create(source=source)
    row = AlertCursor.objects.select_for_update(skip_locked=True).filter(source=source).values_list("last_id", flat=True).first()
    return row


def batch_evaluate(source: str, *, limit: int | None = None) -> tuple[int, int]:
    """One batch of a source: (facts read, alerts raised or added to). 0 facts: nothing new, or
    another sweeper has the batch."""
    read, evaluate = SOURCES[source]
    until = clock.now() - dt.timedelta(seconds=settings.KADUN_ALERT_LAG_SECONDS)
    with transaction.atomic():
        last_id = _cursor(source)
        if last_id is None:
            return 0, 0
        facts = read(after_id=last_id, until=until, limit=limit or settings.KADUN_ALERT_BATCH)
        if not facts:
            return 0, 0
        claimed = AlertCursor.objects.filter(source=source, last_id=last_id).update(last_id=facts[-1]["id"], updated_at=clock.now())
        if not claimed:  # another sweeper moved it (SQLite has no row lock)
            return 0, 0
        findings = evaluate(facts)
        for finding in findings:
            alert_note(finding)
    return len(facts), len(findings)


def alerts_sweep_counts(*, max_batches: int | None = None, limit: int | None = None) -> tuple[int, int]:
    """Every source, batch after batch until caught up (at most KADUN_ALERT_MAX_BATCHES each):
    (facts read, findings written to alerts)."""
    total = found = 0
    for source in SOURCES:
        for _ in range(max_batches or settings.KADUN_ALERT_MAX_BATCHES):
            read, noted = batch_evaluate(source, limit=limit)
            total, found = total + read, found + noted
            if read == 0:
                break
    return total, found


def alerts_sweep(*, max_batches: int | None = None, limit: int | None = None) -> int:
    """How many facts were read (benchmarks and tests)."""
    return alerts_sweep_counts(max_batches=max_batches, limit=limit)[0]


# --- the alert ------------------------------------------------------------------------------

def _merge(old: dict, new: dict) -> dict:
    """A repeat's facts added to the open alert's: id lists united (capped), the rest the latest."""
    merged = dict(old)
    for key, value in new.items():
        if key.endswith("_ids") and isinstance(value, list) and isinstance(old.get(key), list):
            united = list(dict.fromkeys(old[key] + value))
            merged[key] = united[-settings.KADUN_ALERT_MAX_IDS:]
        else:
            merged[key] = value
    return merged


def alert_note(finding: Finding) -> tuple[RiskAlert, bool]:
    """Open the alert for a finding, or add the finding to the alert already open for its kind and
    subject (facts merged, ``occurrences`` + 1). Returns (alert, created)."""
    now = clock.now()
    alert, created = alert_raise(kind=finding.kind, subject=finding.subject, shop_id=finding.shop_id, details=finding.facts)
    if created:
        RiskAlert.objects.filter(pk=alert.pk).update(last_seen_at=now)
        for shop_id in set(finding.facts.get("shop_ids", [])) | ({finding.shop_id} - {None}):
            runaway_poke(shop_id=shop_id)  # the runaway signal abnormal_alerts counts it
        return alert, True
    with transaction.atomic():
        current = RiskAlert.objects.select_for_update().filter(pk=alert.pk, status=AlertStatus.OPEN).values_list("details", flat=True).first()
        if current is None:  # resolved in between: a new one
            return alert_note(finding)
        RiskAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
            details=_merge(current or {}, finding.facts), occurrences=F("occurrences") + 1, last_seen_at=now,
        )
    return alert, False


def alert_assign(*, alert_id: int, actor, assignee=None, take_over: bool = False) -> RiskAlert:
    """Give an open alert to a risk staff member (``assignee``, default the actor). Taking one
    already assigned to someone else needs ``take_over`` (reassign); the guard is in the update,
    so of two staff taking an unassigned alert at once, one gets it."""
    assignee = assignee or actor
    if not can_resolve(actor) or not can_resolve(assignee):
        raise NotRiskStaff()
    if not RiskAlert.objects.filter(pk=alert_id).exists():
        raise AlertNotFound()
    rows = RiskAlert.objects.filter(pk=alert_id, status=AlertStatus.OPEN)
    if not take_over:
        rows = rows.filter(Q(assigned_to__isnull=True) | Q(assigned_to=assignee))
    if rows.update(assigned_to=assignee, assigned_at=clock.now()) != 1:
        alert = RiskAlert.objects.get(pk=alert_id)
        raise AlertAlreadyResolved() if alert.status != AlertStatus.OPEN else AlertAssignedElsewhere()
    log.warning("risk alert #%s assigned to user #%s by user #%s", alert_id, assignee.pk, actor.pk)
    return RiskAlert.objects.select_related("shop", "assigned_to").get(pk=alert_id)
