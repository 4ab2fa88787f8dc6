"""Scheduling and sweeping deadlines."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.registry import HANDLERS

log = logging.getLogger("kadun.deadlines")
MAX_ATTEMPTS = 8


def deadline_schedule(*, kind: str, subject_id: int, due_at: dt.datetime, rearm: bool = False) -> Deadline:
    """Schedule (or move, if not yet fired) the one deadline of ``kind`` for a subject. With
    ``rearm`` a deadline that already fired is set to fire again at ``due_at``."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for deadline kind {kind!r}")
    deadline, created = Deadline.objects.get_or_create(
        kind=kind, subject_id=subject_id, defaults={"due_at": due_at, "created_at": clock.now()}
    )
    if not created and deadline.fired_at is None and deadline.due_at != due_at:
        Deadline.objects.filter(pk=deadline.pk, fired_at__isnull=True).update(due_at=due_at)
    elif not created and deadline.fired_at is not None and rearm:
        Deadline.objects.filter(pk=deadline.pk).update(due_at=due_at, fired_at=None, outcome="", attempts=0, last_error="")
    return deadline


def deadlines_sweep(*, batch: int | None = None, now: dt.datetime | None = None) -> int:
    """Fire one batch of due deadlines. Returns how many were taken (fired or failed).

    On PostgreSQL rows are taken with ``FOR UPDATE SKIP LOCKED``, so sweepers share the work and
    never fire a row twice; SQLite has one writer at a time (IMMEDIATE transactions). Each handler
    runs in a savepoint: a failure rolls back only that handler and is retried with back-off.
    """
    batch = batch or settings.KADUN_SWEEP_BATCH
    now = now or clock.now()
    taken = 0
    with transaction.atomic():
        due = list(
            Deadline.objects.select_for_update(skip_locked=True)
            .filter(fired_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "id")[:batch]
        )
        for deadline in due:
            taken += 1
            handler = HANDLERS.get(deadline.kind)
            try:
                with transaction.atomic():
                    if handler is None:
                        raise LookupError(f"no handler for {deadline.kind}")
                    outcome = handler(deadline.subject_id) or "done"
                    Deadline.objects.filter(pk=deadline.pk, fired_at__isnull=True).update(
                        fired_at=now, outcome=outcome[:40], attempts=deadline.attempts + 1
                    )
            except Exception as exc:  # one bad subject must not stop the others
                log.exception("deadline %s #%s for subject %s failed", deadline.kind, deadline.pk, deadline.subject_id)
                attempts = deadline.attempts + 1
                changes = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:300]}
                if attempts >= MAX_ATTEMPTS:
                    changes.update(fired_at=now, outcome="failed")
                else:
                    changes["due_at"] = now + dt.timedelta(seconds=min(3600, 5 * 2**attempts))
                Deadline.objects.filter(pk=deadline.pk).update(**changes)
    return taken


def deadlines_sweep_all(*, now: dt.datetime | None = None, max_batches: int = 10_000) -> int:
    """Sweep until nothing is due (tests, ``kadun sweep --once``)."""
    total = 0
    for _ in range(max_batches):
        taken = deadlines_sweep(now=now)
        total += taken
        if taken == 0:
            break
    return total
