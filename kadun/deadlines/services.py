"""Scheduling and sweeping deadlines."""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kadun.core import clock
from kadun.evidence import services as evidence
from kadun.deadlines import evidence as _sources  # noqa: F401  (registers the firing's evidence source)
from kadun.deadlines.models import Deadline
from kadun.deadlines.registry import BATCH_HANDLERS, HANDLERS

log = logging.getLogger("kadun.deadlines")
MAX_ATTEMPTS = 8


def deadline_schedule(*, kind: str, subject_id: int, due_at: dt.datetime, rearm: bool = False) -> None:
    """Schedule (or move, if not yet fired) the one deadline of ``kind`` for a subject. With
    ``rearm`` a deadline that already fired is set to fire again at ``due_at``."""
    deadlines_schedule_many(kind=kind, due={subject_id: due_at})
    if rearm:
        Deadline.objects.filter(kind=kind, subject_id=subject_id, fired_at__isnull=False).update(
            due_at=due_at, fired_at=None, outcome="", attempts=0, last_error=""
        )


def deadline_schedule_new(*, kind: str, subject_id: int, due_at: dt.datetime) -> None:
    """A new subject's first deadline of ``kind`` (one ``INSERT … ON CONFLICT DO NOTHING``, no
    move): for a subject created in this transaction, which cannot have one yet."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for deadline kind {kind!r}")
    Deadline.objects.bulk_create([Deadline(kind=kind, subject_id=subject_id, due_at=due_at, created_at=clock.now())], ignore_conflicts=True)


def deadline_cancel(*, kind: str, subject_id: int) -> int:
    """Drop the deadline of ``kind`` for a subject if it has not fired (one DELETE): a timer that
    has nothing left to do. A fired one stays, with its evidence entry."""
    deleted, _ = Deadline.objects.filter(kind=kind, subject_id=subject_id, fired_at__isnull=True).delete()
    return deleted


def deadlines_schedule_many(*, kind: str, due: dict[int, dt.datetime]) -> None:
    """Schedule (or move, if not yet fired) the deadline of ``kind`` for each subject, at its
    time. ``INSERT … ON CONFLICT DO NOTHING`` for all, then one conditional update per distinct
    time that moves the existing unfired ones (it matches nothing after fresh inserts): two
    statements when all share one time, no savepoint."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for deadline kind {kind!r}")
    if not due:
        return
    created = clock.now()
    Deadline.objects.bulk_create(
        [Deadline(kind=kind, subject_id=subject, due_at=at, created_at=created) for subject, at in due.items()], ignore_conflicts=True
    )
    subjects_at: dict[dt.datetime, list[int]] = defaultdict(list)
    for subject, at in due.items():
        subjects_at[at].append(subject)
    for at, subjects in subjects_at.items():
        Deadline.objects.filter(kind=kind, subject_id__in=subjects, fired_at__isnull=True).exclude(due_at=at).update(due_at=at)


def _due(now: dt.datetime):
    return Deadline.objects.filter(fired_at__isnull=True, due_at__lte=now)


def _claim(kind: str, now: dt.datetime, limit: int) -> list[Deadline]:
    """Due deadlines of one kind, oldest first, locked for this transaction. On PostgreSQL rows
    another sweeper holds are skipped (SKIP LOCKED), so sweepers share the work and never fire a
    row twice; SQLite has one writer at a time (IMMEDIATE transactions)."""
    return list(_due(now).filter(kind=kind).select_for_update(skip_locked=True).order_by("due_at", "id")[:limit])


def _fire_one(deadline: Deadline, now: dt.datetime) -> None:
    """Run one handler in a savepoint and mark the deadline fired; a failure rolls back only the
    handler and is retried with back-off (given up after MAX_ATTEMPTS)."""
    handler = HANDLERS.get(deadline.kind)
    try:
        with transaction.atomic():
            if handler is None:
                raise LookupError(f"no handler for {deadline.kind}")
            outcome = (handler(deadline.subject_id) or "done")[:40]
            if Deadline.objects.filter(pk=deadline.pk, fired_at__isnull=True).update(fired_at=now, outcome=outcome, attempts=deadline.attempts + 1):
                _log_fired([deadline], now, outcome)
    except Exception as exc:  # one bad subject must not stop the others
        log.exception("deadline %s #%s for subject %s failed", deadline.kind, deadline.pk, deadline.subject_id)
        attempts = deadline.attempts + 1
        changes = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:300]}
        if attempts >= MAX_ATTEMPTS:
            changes.update(fired_at=now, outcome="failed")
        else:
            changes["due_at"] = now + dt.timedelta(seconds=min(3600, 5 * 2**attempts))
        Deadline.objects.filter(pk=deadline.pk).update(**changes)
        if attempts >= MAX_ATTEMPTS:
            _log_fired([deadline], now, "failed")


def _log_fired(deadlines: list[Deadline], now: dt.datetime, outcome: str) -> None:
    """The firings' evidence entries, from the rows in hand (one INSERT, no read)."""
    fired = [Deadline(pk=d.pk, kind=d.kind, subject_id=d.subject_id, due_at=d.due_at, fired_at=now, outcome=outcome) for d in deadlines]
    evidence.record_many("deadlines.firing", fired)


def _sweep_batch(kind: str, now: dt.datetime, batch: int) -> int:
    """A kind with a batch handler: up to ``batch`` deadlines in one transaction."""
    with transaction.atomic():
        due = _claim(kind, now, batch)
        if not due:
            return 0
        outcomes = None
        try:
            with transaction.atomic():
                outcomes = BATCH_HANDLERS[kind]([d.subject_id for d in due])
        except Exception:  # the batch is rolled back; fire them one by one, each failure on its own
            log.warning("batch of %d %s deadlines failed; firing them one by one", len(due), kind, exc_info=True)
        if outcomes is None:
            for deadline in due:
                _fire_one(deadline, now)
            return len(due)
        by_outcome: dict[str, list[Deadline]] = defaultdict(list)
        for deadline in due:
            by_outcome[(outcomes.get(deadline.subject_id) or "done")[:40]].append(deadline)
        fired = []
        for outcome, rows in by_outcome.items():
            Deadline.objects.filter(pk__in=[d.pk for d in rows], fired_at__isnull=True).update(fired_at=now, outcome=outcome, attempts=F("attempts") + 1)
            fired += [Deadline(pk=d.pk, kind=d.kind, subject_id=d.subject_id, due_at=d.due_at, fired_at=now, outcome=outcome) for d in rows]
        evidence.record_many("deadlines.firing", fired)  # one INSERT for the whole batch
    return len(due)


def _sweep_single(kind: str, now: dt.datetime, batch: int) -> int:
    """Any other kind: one deadline per transaction. Its handler may lock what a person's request
    locks (orders, refund requests, accounts); holding one subject's locks at a time, concurrent
    sweepers cannot deadlock each other."""
    taken = 0
    while taken < batch:
        with transaction.atomic():
            due = _claim(kind, now, 1)
            if not due:
                break
            _fire_one(due[0], now)
        taken += 1
    return taken


def deadlines_sweep(*, batch: int | None = None, now: dt.datetime | None = None) -> int:
    """Fire up to ``batch`` due deadlines of one kind: the kind of the oldest due deadline (or, if
    other sweepers hold all of those, the next kind with any). Returns how many were taken (fired
    or failed). Kinds with a batch handler fire in one transaction; the others one by one."""
    batch = batch or settings.KADUN_SWEEP_BATCH
    now = now or clock.now()
    oldest = _due(now).order_by("due_at", "id").values_list("kind", flat=True).first()
    if oldest is None:
        return 0
    for kind in [oldest] + sorted(k for k in HANDLERS if k != oldest):
        sweep = _sweep_batch if kind in BATCH_HANDLERS else _sweep_single
        taken = sweep(kind, now, batch)
        if taken:
            return taken
    return 0


def deadlines_sweep_all(*, now: dt.datetime | None = None, max_batches: int = 10_000) -> int:
    """Sweep until nothing is due (tests, ``kadun sweep --once``)."""
    total = 0
    for _ in range(max_batches):
        taken = deadlines_sweep(now=now)
        total += taken
        if taken == 0:
            break
    return total
