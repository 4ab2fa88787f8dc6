"""Appending to the evidence log. Called inside the transaction that makes the fact."""
from __future__ import annotations

from django.db import transaction

from kadun.core import clock
from kadun.evidence import canonical, privacy
from kadun.evidence.models import Entry
from kadun.evidence.registry import SOURCES, Fact


def _entry(fact: Fact, *, source: str = "", source_id: int | None = None, at=None) -> Entry:
    body = canonical.dumps(privacy.at_record(fact.body))
    return Entry(
        created_at=at or clock.now(),
        kind=fact.kind,
        actor_role=fact.actor_role,
        actor_id=fact.actor_id,
        subject_type=fact.subject_type,
        subject_id=fact.subject_id,
        body=body.decode("utf-8"),
        content_hash=canonical.sha256_hex(body),
        source=source,
        source_id=source_id,
    )


def record(name: str, row) -> Entry:
    """Log the fact ``row`` through its registered source ``name``. Must run inside the
    transaction that wrote the row: the fact and its entry commit together or not at all."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("evidence.record must run inside the fact's transaction")
    src = SOURCES[name]
    entry = _entry(src.fact(row), source=name, source_id=row.pk)
    entry.save(force_insert=True)
    return entry


def record_many(name: str, rows) -> int:
    """The batch path (sweeper): one INSERT for many rows of one source."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("evidence.record_many must run inside the facts' transaction")
    src = SOURCES[name]
    now = clock.now()
    entries = [_entry(src.fact(row), source=name, source_id=row.pk, at=now) for row in rows]
    if entries:
        Entry.objects.bulk_create(entries)
    return len(entries)


def record_rows(pairs) -> int:
    """One INSERT for several facts of different sources: ``[(source name, row), …]`` (checkout
    logs its order, its frozen rules and the buyer's confirmations in one statement)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("evidence.record_rows must run inside the facts' transaction")
    now = clock.now()
    entries = [_entry(SOURCES[name].fact(row), source=name, source_id=row.pk, at=now) for name, row in pairs]
    if entries:
        Entry.objects.bulk_create(entries)
    return len(entries)


def record_fact(fact: Fact) -> Entry:
    """A fact with no row of its own (e.g. a checkout confirmation shown, a redacted raw payment
    notification): the body is the whole record, and evidence-check can only check the tree."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("evidence.record_fact must run inside the fact's transaction")
    entry = _entry(fact)
    entry.save(force_insert=True)
    return entry


# The tree (kadun/evidence/sequencer.py, heads.py): the sequencer step and signed tree heads.
from kadun.evidence.heads import evidence_step, heads_sign  # noqa: E402,F401
from kadun.evidence.sequencer import entries_integrate  # noqa: E402,F401
