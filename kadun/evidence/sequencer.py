"""The sequencer: committed, unsequenced entries get their leaf index, in id order.

One integrates at a time: it holds the ``LogState`` row (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL — a second sweeper finds it taken and goes on with its other work; SQLite has one
writer). Appenders never touch that row, the tree or the heads: ``record()`` is one INSERT, and
the sequencer only updates rows that have already committed, so neither waits for the other.

The commit-order hole. Ids come from a sequence when the INSERT runs, not when it commits: entry
41 may still be in an open transaction while 42 has committed. Integrating 42 first would be
fine for proofs, but the leaf order would then depend on timing; integrating 42 and never 41
would lose an entry. So the sequencer walks pending entries in id order from ``next_id`` and
stops at a hole (an id it cannot see while a higher one is visible), remembering when it first
saw it. The hole is passed (the id taken for a rolled-back one) when it is at least
``KADUN_EVIDENCE_GAP_GRACE_SECONDS`` old and — on PostgreSQL — every transaction that was writing
in this database when it was first seen has ended (their ids from ``pg_stat_activity``: the
writer of the missing id was among them, so it has committed or rolled back), or in any case
after ``KADUN_EVIDENCE_GAP_MAX_SECONDS``, so one stuck transaction cannot hold the whole log past
its merge delay. An entry whose id was passed and that commits afterwards is not lost: it is
still pending, and the next step integrates it first (its leaf comes after higher ids). Leaf
order is id order except for such a late entry; nothing relies on it (the leaf names its id).
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction

from kadun.core import clock
from kadun.evidence import canonical, merkle
from kadun.evidence.models import Entry, LogState, TreeNode
from kadun.evidence.tree import Appender

log = logging.getLogger("kadun.evidence")
LEAF_FIELDS = ("id", "created_at", "kind", "actor_role", "actor_id", "subject_type", "subject_id", "content_hash")


def leaf_bytes(entry: Entry) -> bytes:
    return canonical.dumps(entry.leaf_document())


def state_lock(*, wait: bool = False) -> LogState | None:
    """The log's row, locked for this transaction; None when another sequencer holds it (unless
    ``wait``: then it waits for it)."""
    for _ in range(2):
        row = LogState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if row is not None:
            return row
        if LogState.objects.filter(pk=1).exists():
            return None  # taken by another sequencer
        LogState.objects.bulk_create([LogState(pk=1)], ignore_conflicts=True)
    return None


def _writers() -> list[str] | None:
    """PostgreSQL: the top-level transaction ids writing in this database now (other sessions)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT backend_xid::text FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cur.fetchall()]


def _any_still_open(xids: list[str]) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_xid::text = ANY(%s))", [xids])
        return cur.fetchone()[0]


def _hole_passable(state: LogState, hole: int, now: dt.datetime) -> bool:
    """May the sequencer take id ``hole`` (and those after it up to the next visible one) for
    rolled back? Records the hole the first time it is seen."""
    if state.gap_from != hole or state.gap_seen_at is None:
        writers = _writers()
        state.gap_from, state.gap_seen_at, state.gap_xids = hole, now, ",".join(writers or [])
        return False
    age = (now - state.gap_seen_at).total_seconds()
    if age >= settings.KADUN_EVIDENCE_GAP_MAX_SECONDS:
        log.warning("evidence: passing id hole at %s after %.1f s (a transaction still open?)", hole, age)
        return True
    if age < settings.KADUN_EVIDENCE_GAP_GRACE_SECONDS:
        return False
    xids = [x for x in state.gap_xids.split(",") if x]
    return not (xids and _any_still_open(xids))


def _choose(state: LogState, pending: list[Entry], now: dt.datetime) -> list[Entry]:
    chosen: list[Entry] = []
    expected = state.next_id or (pending[0].id if pending else 0)
    for entry in pending:
        if entry.id < expected:  # late: its id was taken for rolled back
            log.warning("evidence: entry %s committed after its id was passed; integrated late", entry.id)
            chosen.append(entry)
            continue
        if entry.id > expected:
            if not _hole_passable(state, expected, now):
                break
            state.gap_from, state.gap_seen_at, state.gap_xids = None, None, ""
        chosen.append(entry)
        expected = entry.id + 1
    state.next_id = max(state.next_id, expected)
    return chosen


def _write(state: LogState, chosen: list[Entry], now: dt.datetime) -> None:
    appender = Appender.load(state.tree_size)
    nodes: list[TreeNode] = []
    updates = []
    for entry in chosen:
        leaf = merkle.leaf_hash(leaf_bytes(entry))
        updates.append((appender.size, leaf.hex(), now, entry.id))
        nodes.extend(TreeNode(key=k, hash=h) for k, h in appender.append(leaf))
    TreeNode.objects.bulk_create(nodes, batch_size=2000)
    table = Entry._meta.db_table
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET leaf_index = %s, leaf_hash = %s, integrated_at = %s WHERE id = %s AND leaf_index IS NULL",
            [(i, h, connection.ops.adapt_datetimefield_value(t), pk) for i, h, t, pk in updates],
        )
    state.tree_size = appender.size


def entries_integrate(*, limit: int | None = None) -> int:
    """One sequencer step: integrate up to ``limit`` committed pending entries. Returns how many;
    0 when there are none, when the next id is a hole still waited for, or when another
    sequencer holds the log."""
    limit = limit or settings.KADUN_EVIDENCE_INTEGRATE_BATCH
    with transaction.atomic():
        state = state_lock()
        if state is None:
            return 0
        pending = list(Entry.objects.filter(leaf_index__isnull=True).order_by("id").only(*LEAF_FIELDS)[:limit])
        if not pending:
            return 0
        now = clock.now()
        chosen = _choose(state, pending, now)
        if chosen:
            _write(state, chosen, now)
        state.save()
        return len(chosen)


def pending_exists() -> bool:
    """Cheap: the partial index of pending entries."""
    return Entry.objects.filter(leaf_index__isnull=True).exists()
