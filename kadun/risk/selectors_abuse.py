"""The buyer abuse record (用后退款防护), read: which buyer keys are linked, the facts of the
window over them, and the flag the published threshold makes of them.

Reading one buyer's record is two indexed queries: the links that share a device or contact
signal with the buyer's own (``risk_abuse_link_signal``, with a subquery on the buyer's links),
then the facts of the window over the linked keys, counted by kind (``risk_abuse_fact_key_recent``).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count

from kadun.core import clock
from kadun.evidence import privacy
from kadun.risk.models_abuse import AbuseContest, AbuseFact, AbuseLink
from kadun.risk.states import AbuseFactKind, ContestStatus, SignalKind

K = AbuseFactKind


def buyer_key_of(order) -> str:
    """The buyer identity of an order: the account, or a guest's contact (keyed hash)."""
    if order.buyer_id:
        return f"user:{order.buyer_id}"
    return "contact:" + privacy.contact(order.contact)[:40]


def since() -> dt.datetime:
    return clock.now() - dt.timedelta(days=settings.KADUN_ABUSE_WINDOW_DAYS)


def linked_keys(buyer_key: str) -> list[str]:
    """The buyer key and every key sharing a device or contact signal with it in the window
    (one hop). A signal seen with more than KADUN_ABUSE_LINK_MAX_KEYS keys is shared and links
    nobody; IP addresses are never used to link."""
    start = since()
    mine = AbuseLink.objects.filter(buyer_key=buyer_key, last_seen__gte=start).exclude(kind=SignalKind.IP).values("signal")
    by_signal: dict[str, set[str]] = defaultdict(set)
    for signal, key in AbuseLink.objects.filter(signal__in=mine, last_seen__gte=start).values_list("signal", "buyer_key")[:2000]:
        by_signal[signal].add(key)
    keys = {buyer_key}
    for members in by_signal.values():
        if len(members) <= settings.KADUN_ABUSE_LINK_MAX_KEYS:
            keys |= members
    return sorted(keys)


@dataclass(frozen=True)
class Record:
    buyer_key: str
    keys: tuple[str, ...]
    requests: int = 0
    orders: int = 0
    against: int = 0
    invalid_on_valid: int = 0
    unreported: int = 0
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def bad_share_pct(self) -> int:
        return (self.against + self.invalid_on_valid) * 100 // self.requests if self.requests else 0

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    @property
    def counts(self) -> dict:
        return {"requests": self.requests, "orders": self.orders, "against": self.against, "invalid_on_valid": self.invalid_on_valid,
                "unreported": self.unreported, "linked": len(self.keys)}


def flag_reasons(*, requests: int, against: int, invalid_on_valid: int, unreported: int) -> tuple[str, ...]:
    """The published threshold (settings; the buyers' rules page prints the same numbers)."""
    reasons = []
    n, pct, k = settings.KADUN_ABUSE_MIN_REQUESTS, settings.KADUN_ABUSE_BAD_SHARE_PCT, settings.KADUN_ABUSE_UNREPORTED_CLAIMS
    if requests >= n and (against + invalid_on_valid) * 100 >= pct * requests:
        reasons.append(f"近{settings.KADUN_ABUSE_WINDOW_DAYS}天退款申请 {requests} 次（≥{n}），其中被裁决驳回/认定买家责任及验货有效仍申报无效共 "
                       f"{against + invalid_on_valid} 次（≥{pct}%）")
    if unreported >= k:
        reasons.append(f"近{settings.KADUN_ABUSE_WINDOW_DAYS}天查看卡密后申报无效、且无其他买家反馈同类问题 {unreported} 次（≥{k}）")
    return tuple(reasons)


def record_of(buyer_key: str) -> Record:
    keys = linked_keys(buyer_key)
    rows = (AbuseFact.objects.filter(buyer_key__in=keys, at__gte=since(), cleared_by__isnull=True)
            .values("kind").annotate(n=Count("id"), orders=Count("order_id", distinct=True)))
    counts = {r["kind"]: r for r in rows}
    n = {kind: counts.get(kind, {}).get("n", 0) for kind in K.values}
    orders = counts.get(K.REQUEST, {}).get("orders", 0)
    reasons = flag_reasons(requests=n[K.REQUEST], against=n[K.AGAINST], invalid_on_valid=n[K.INVALID_ON_VALID], unreported=n[K.UNREPORTED])
    return Record(buyer_key=buyer_key, keys=tuple(keys), requests=n[K.REQUEST], orders=orders, against=n[K.AGAINST],
                  invalid_on_valid=n[K.INVALID_ON_VALID], unreported=n[K.UNREPORTED], reasons=reasons)


def record_of_order(order) -> Record:
    return record_of(buyer_key_of(order))


def facts_of(record: Record, *, limit: int = 100) -> list[AbuseFact]:
    """The facts behind a record (its window, linked keys), newest first, cleared ones included
    (marked). Shown to the buyer, the merchant and staff: refs and kinds only, no signal."""
    return list(AbuseFact.objects.filter(buyer_key__in=record.keys, at__gte=since()).select_related("cleared_by")[:limit])


def signals_of(buyer_key: str) -> list[dict]:
    """Staff only: the buyer key's signals (hash prefixes) and how many other keys share each."""
    start = since()
    mine = list(AbuseLink.objects.filter(buyer_key=buyer_key).order_by("kind", "-last_seen")[:50])
    shared = dict(AbuseLink.objects.filter(signal__in=[m.signal for m in mine], last_seen__gte=start)
                  .values("signal").annotate(n=Count("buyer_key")).values_list("signal", "n"))
    return [{"kind": m.kind, "label": SignalKind(m.kind).label, "hash": m.signal[:12], "last_seen": m.last_seen,
             "others": max(shared.get(m.signal, 1) - 1, 0),
             "links": m.kind != SignalKind.IP and shared.get(m.signal, 1) <= settings.KADUN_ABUSE_LINK_MAX_KEYS} for m in mine]


def contests_of(buyer_key: str) -> list[AbuseContest]:
    return list(AbuseContest.objects.filter(buyer_key=buyer_key)[:20])


def open_contests(limit: int = 200) -> list[AbuseContest]:
    return list(AbuseContest.objects.filter(status=ContestStatus.OPEN).select_related("user").order_by("id")[:limit])


def contest_by_id(contest_id: int) -> AbuseContest | None:
    return AbuseContest.objects.filter(pk=contest_id).first()


def threshold() -> dict:
    return {"days": settings.KADUN_ABUSE_WINDOW_DAYS, "min_requests": settings.KADUN_ABUSE_MIN_REQUESTS,
            "bad_share_pct": settings.KADUN_ABUSE_BAD_SHARE_PCT, "unreported": settings.KADUN_ABUSE_UNREPORTED_CLAIMS,
            "link_max": settings.KADUN_ABUSE_LINK_MAX_KEYS}


def request_signals() -> tuple[str, str]:
    """(device hash, ip hash) of the request being served — keyed hashes set by the abuse
    middleware; ("", "") outside a request (the sweeper, the shell)."""
    from kadun.risk.abuse import current_signals

    return current_signals.get()
