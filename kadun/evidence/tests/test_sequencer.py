"""The sequencer: pending entries become leaves in id order, holes in the ids are waited for and
then passed, a late entry is never lost, and a 10,000-entry log proves every entry."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from kadun.core import clock
from kadun.evidence import merkle, selectors, services
from kadun.evidence.models import Entry, LogState, TreeHead
from kadun.evidence.sequencer import leaf_bytes
from kadun.evidence.tests.helpers import append, append_bulk, integrate_all

pytestmark = pytest.mark.django_db


def leaf_hashes_by_index() -> list[bytes]:
    """The tree rebuilt from the entries themselves, not from the stored nodes."""
    return [merkle.leaf_hash(leaf_bytes(e)) for e in Entry.objects.filter(leaf_index__isnull=False).order_by("leaf_index")]


def test_pending_entries_get_leaf_indexes_in_id_order():
    entries = [append(i) for i in range(5)]
    assert all(e.leaf_index is None for e in entries)
    assert services.entries_integrate() == 5
    rows = list(Entry.objects.order_by("id"))
    assert [e.leaf_index for e in rows] == [0, 1, 2, 3, 4]
    assert all(e.integrated_at is not None and e.leaf_hash == merkle.leaf_hash(leaf_bytes(e)).hex() for e in rows)
    assert LogState.objects.get().tree_size == 5


def test_integrating_nothing_changes_nothing():
    assert services.entries_integrate() == 0
    append()
    assert services.entries_integrate() == 1
    assert services.entries_integrate() == 0
    assert LogState.objects.get().tree_size == 1


def test_the_limit_caps_one_step():
    append_bulk(30)
    assert services.entries_integrate(limit=12) == 12
    assert services.entries_integrate(limit=12) == 12
    assert services.entries_integrate(limit=12) == 6
    assert sorted(Entry.objects.values_list("leaf_index", flat=True)) == list(range(30))


def test_a_hole_in_the_ids_is_waited_for_then_passed(settings):
    settings.KADUN_EVIDENCE_GAP_GRACE_SECONDS = 2
    settings.KADUN_EVIDENCE_GAP_MAX_SECONDS = 20
    _, hole, c = append(0), append(1), append(2)
    Entry.objects.filter(pk=hole.pk).delete()  # its id was taken by a transaction that rolled back (or is still open)
    assert services.entries_integrate() == 1  # a; then the hole is seen and remembered
    assert LogState.objects.get().gap_from == hole.id
    clock.advance(dt.timedelta(seconds=1))
    assert services.entries_integrate() == 0  # still within the grace
    clock.advance(dt.timedelta(seconds=2))
    assert services.entries_integrate() == 1  # passed: taken for rolled back
    assert Entry.objects.get(pk=c.pk).leaf_index == 1
    assert LogState.objects.get().gap_from is None


def test_a_hole_is_passed_after_the_longest_wait_whatever_else(settings):
    settings.KADUN_EVIDENCE_GAP_GRACE_SECONDS = 50
    settings.KADUN_EVIDENCE_GAP_MAX_SECONDS = 5
    _, hole, c = append(0), append(1), append(2)
    Entry.objects.filter(pk=hole.pk).delete()
    assert services.entries_integrate() == 1
    clock.advance(dt.timedelta(seconds=6))
    assert services.entries_integrate() == 1
    assert Entry.objects.get(pk=c.pk).leaf_index == 1


def test_an_entry_committing_after_its_hole_was_passed_is_integrated_late_not_lost(settings):
    settings.KADUN_EVIDENCE_GAP_GRACE_SECONDS = 0
    settings.KADUN_EVIDENCE_GAP_MAX_SECONDS = 0
    a, b, c = append(0), append(1), append(2)
    # b's transaction has not committed when the sequencer looks: it is not there yet
    b_row = Entry.objects.get(pk=b.pk)
    Entry.objects.filter(pk=b.pk).delete()
    assert services.entries_integrate() == 1  # a; the hole at b is seen
    assert services.entries_integrate() == 1  # the hole is passed: c
    b_row.save(force_insert=True)  # b commits, late
    assert services.entries_integrate() == 1
    order = dict(Entry.objects.values_list("id", "leaf_index"))
    assert order == {a.id: 0, c.id: 1, b.id: 2}
    assert merkle.root_of(leaf_hashes_by_index()).hex() == selectors.root_of_size(3)


def test_the_first_entry_of_a_new_log_starts_the_ids_wherever_the_sequence_is():
    append_bulk(3)
    Entry.objects.filter(pk=Entry.objects.order_by("id").first().pk).delete()  # ids need not start at 1
    assert services.entries_integrate() == 2


def test_ten_thousand_entries_every_inclusion_proof_and_100_consistency_pairs_verify():
    append_bulk(10_000)
    assert integrate_all() == 10_000
    head = services.heads_sign(force=True)
    leaves = leaf_hashes_by_index()
    root = merkle.root_of(leaves)
    assert head["tree_size"] == 10_000 and head["root_hash"] == root.hex()
    for entry in Entry.objects.order_by("id"):
        proof = selectors.inclusion_proof(entry)
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert merkle.verify_inclusion(proof["leaf_index"], 10_000, bytes.fromhex(entry.leaf_hash), path, root), entry.id
    rng = random.Random(10)
    memory = merkle.InMemoryTree(leaves)
    for _ in range(100):
        second = rng.randint(1, 10_000)
        first = rng.randint(1, second)
        proof = selectors.consistency_proof(first, second)
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert merkle.verify_consistency(first, second, memory.root(first), memory.root(second), path), (first, second)


def test_a_tampered_leaf_a_reordered_log_or_a_swapped_head_fails_verification():
    entries = [append(i) for i in range(9)]
    integrate_all()
    head = services.heads_sign(force=True)
    root = bytes.fromhex(head["root_hash"])
    target = Entry.objects.get(pk=entries[4].pk)
    proof = selectors.inclusion_proof(target)
    path = [bytes.fromhex(p) for p in proof["path"]]
    assert merkle.verify_inclusion(4, 9, bytes.fromhex(target.leaf_hash), path, root)
    # a body changed after the fact: its leaf no longer hashes into the signed root
    target.content_hash = "0" * 64
    assert not merkle.verify_inclusion(4, 9, merkle.leaf_hash(leaf_bytes(target)), path, root)
    # reordered: entry 5's leaf claimed at index 4
    other = Entry.objects.get(pk=entries[5].pk)
    assert not merkle.verify_inclusion(4, 9, bytes.fromhex(other.leaf_hash), path, root)
    # a head swapped for one of another size: the proof does not lead to its root
    append(99)
    integrate_all()
    newer = services.heads_sign(force=True)
    assert not merkle.verify_inclusion(4, 9, bytes.fromhex(target.leaf_hash), path, bytes.fromhex(newer["root_hash"]))
    assert not merkle.verify_inclusion(4, 10, bytes.fromhex(Entry.objects.get(pk=entries[4].pk).leaf_hash), path, bytes.fromhex(newer["root_hash"]))
    assert TreeHead.objects.count() == 2


def test_the_idle_sweeper_step_costs_two_reads(django_assert_num_queries):
    append()
    services.evidence_step()
    with django_assert_num_queries(2):
        assert services.evidence_step() == 0
