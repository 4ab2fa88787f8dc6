"""The platform's SLA clock: support hours, pauses while the case waits on a party, breaches.

``KADUN_SUPPORT_HOURS`` ("09:00-21:00", local to ``KADUN_SUPPORT_TZ``) limits the hours that
count; empty means around the clock. A clock's due time is its target's minutes of support time
after it started, plus any pause. Pausing keeps the support seconds left; resuming recomputes the
due time from then. The sweeper's ``case_sla`` deadline fires at the due time and records the
breach if the target is still not met."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Subquery

from kadun.cases import records
from kadun.cases.models import Case, CaseEvent, SlaClock
from kadun.cases.states import Party, Priority
from kadun.core import clock
from kadun.evidence import services as evidence_log

KIND_SLA = "case_sla"


def _window() -> tuple[dt.time, dt.time] | None:
    spec = (settings.KADUN_SUPPORT_HOURS or "").strip()
    if not spec:
        return None
    start, end = (dt.time.fromisoformat(part.strip()) for part in spec.split("-", 1))
    return start, end


def support_add(start: dt.datetime, seconds: float) -> dt.datetime:
    """The moment ``seconds`` of support time after ``start``."""
    window = _window()
    if window is None:
        return start + dt.timedelta(seconds=seconds)
    tz = ZoneInfo(settings.KADUN_SUPPORT_TZ)
    at = start.astimezone(tz)
    left = dt.timedelta(seconds=seconds)
    for _ in range(3660):  # ten years of days at most
        day_open = at.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
        day_close = at.replace(hour=window[1].hour, minute=window[1].minute, second=0, microsecond=0)
        if at < day_open:
            at = day_open
        if at < day_close:
            if at + left <= day_close:
                return (at + left).astimezone(dt.UTC)
            left -= day_close - at
        at = (day_open + dt.timedelta(days=1)).replace(hour=window[0].hour, minute=window[0].minute)
    raise ValueError("support hours never open")


def support_seconds(start: dt.datetime, end: dt.datetime) -> float:
    """Support time between two moments (0 if ``end`` is before ``start``)."""
    if end <= start:
        return 0.0
    window = _window()
    if window is None:
        return (end - start).total_seconds()
    tz = ZoneInfo(settings.KADUN_SUPPORT_TZ)
    at, end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    while at < end:
        day_open = at.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
        day_close = at.replace(hour=window[1].hour, minute=window[1].minute, second=0, microsecond=0)
        lo, hi = max(at, day_open), min(end, day_close)
        if hi > lo:
            total += (hi - lo).total_seconds()
        at = day_open + dt.timedelta(days=1)
    return total


def target_minutes(case: Case, target: str) -> int:
    rules = settings.KADUN_CASE_RULES[case.kind]["sla"]
    minutes = rules["resolution" if target == "appeal" else target]
    return max(1, minutes // 2) if case.priority == Priority.HIGH else minutes


def due_refresh(case: Case) -> None:
    """Keep ``Case.sla_due_at``: the earliest due time of its running (unmet, unpaused) clocks."""
    running = SlaClock.objects.filter(case=OuterRef("pk"), met_at__isnull=True, paused_since__isnull=True).order_by("due_at").values("due_at")[:1]
    Case.objects.filter(pk=case.pk).update(sla_due_at=Subquery(running))


def clocks_start(case: Case, *targets: str) -> None:
    """Start these targets' clocks (once each) when the case reaches the platform."""
    now = clock.now()
    for target in targets:
        minutes = target_minutes(case, target)
        sla, created = SlaClock.objects.get_or_create(
            case=case, target=target, defaults={"minutes": minutes, "started_at": now, "due_at": support_add(now, minutes * 60)}
        )
        if created:
            records.schedule(case, kind=KIND_SLA, at=sla.due_at, ref_id=sla.pk)
    due_refresh(case)


def clocks_meet(case: Case, *targets: str) -> None:
    """Staff met these targets now (a first response, a decision)."""
    if SlaClock.objects.filter(case=case, target__in=targets, met_at__isnull=True).update(met_at=clock.now()):
        due_refresh(case)


def clocks_pause(case: Case) -> None:
    """The case now waits on a party: running clocks stop."""
    now = clock.now()
    for sla in SlaClock.objects.filter(case=case, met_at__isnull=True, paused_since__isnull=True):
        left = support_seconds(now, sla.due_at) if sla.due_at and sla.breached_at is None else 0
        SlaClock.objects.filter(pk=sla.pk, paused_since__isnull=True).update(paused_since=now, remaining_seconds=int(left))
    due_refresh(case)


def clocks_resume(case: Case) -> None:
    """The party answered (or missed its deadline): paused clocks run again."""
    now = clock.now()
    for sla in SlaClock.objects.filter(case=case, met_at__isnull=True, paused_since__isnull=False):
        due = support_add(now, sla.remaining_seconds or 0) if sla.breached_at is None else sla.due_at
        if SlaClock.objects.filter(pk=sla.pk, paused_since__isnull=False).update(paused_since=None, remaining_seconds=None, due_at=due):
            if sla.breached_at is None:
                records.schedule(case, kind=KIND_SLA, at=due, ref_id=sla.pk)
    due_refresh(case)


def sla_check(wait) -> str:
    """Deadline: the clock's due time came. Breached if still running, unpaused and not met (a
    clock paused and resumed since has a later due time: this firing is then a no-op)."""
    now = clock.now()
    sla = SlaClock.objects.select_related("case").filter(pk=wait.ref_id).first()
    if sla is None or sla.met_at or sla.breached_at or sla.paused_since or (sla.due_at and sla.due_at > now):
        return "noop"
    if not SlaClock.objects.filter(pk=sla.pk, met_at__isnull=True, breached_at__isnull=True, paused_since__isnull=True).update(breached_at=now):
        return "noop"
    event = CaseEvent.objects.create(
        case=sla.case, kind="sla_breach", party=Party.SYSTEM, staff_only=True, at=now,
        note=f"平台服务时限未达成：{sla.target}（{sla.minutes} 分钟）", data={"target": sla.target, "minutes": sla.minutes},
    )
    evidence_log.record("cases.event", event)
    return "breached"
