"""On PostgreSQL, with real processes and threads: appenders never wait on the sequencer or on
each other, two sequencers build one tree, and a slow transaction's entry keeps its place."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from kadun.evidence import merkle, selectors, services
from kadun.evidence.models import Entry, LogState, TreeHead
from kadun.evidence.sequencer import leaf_bytes
from kadun.evidence.tests.helpers import append, fact, integrate_all

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def spawn(*args: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", PYTHONPATH=ROOT,
               KADUN_EVIDENCE_SIGNING_KEY=django_settings.KADUN_EVIDENCE_SIGNING_KEY, KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS="1")
    return subprocess.Popen([sys.executable, "-m", "kadun.evidence.tests.procs", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen):
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_appenders_in_four_processes_with_two_sequencers_make_one_tree_and_never_wait():
    append()  # the log's state row exists, so the holder has something to lock
    integrate_all()
    sequencers = [spawn("sequence", "16"), spawn("sequence", "16")]
    appenders = [spawn("append", "10") for _ in range(4)]
    procs = [*sequencers, *appenders]
    try:
        time.sleep(4)
        holder = spawn("hold", "3")  # a sequencer that keeps the lock for 3 s while appends go on
        procs.append(holder)
        held = result(holder)
        latencies = [row for p in appenders for row in result(p)]
        integrated = sum(result(p)["integrated"] for p in sequencers)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    integrate_all()
    services.heads_sign(force=True)

    assert integrated > 0
    entries = list(Entry.objects.order_by("leaf_index"))
    assert len(entries) == len(latencies) + 1 and [e.leaf_index for e in entries] == list(range(len(entries)))  # one tree, no gaps, no doubles
    leaves = [merkle.leaf_hash(leaf_bytes(e)) for e in entries]
    memory = merkle.InMemoryTree(leaves)
    for head in TreeHead.objects.all():  # every head the sequencers signed is a head of this one tree
        assert head.root_hash == memory.root(head.tree_size).hex()
    delay = max((e.integrated_at - e.created_at).total_seconds() for e in entries)
    assert delay < django_settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS
    during = sorted(ms for at, ms in latencies if held["from"] <= at <= held["to"])
    others = sorted(ms for at, ms in latencies if not held["from"] <= at <= held["to"])
    assert len(during) > 50
    # nobody waited for the 3 s lock: appends during it are as fast as the others (p99 well under the hold)
    assert during[int(len(during) * 0.99) - 1] < 500, during[-10:]
    assert max(during) < 1500
    print(f"append p50 {others[len(others) // 2]:.1f} ms, p99 during the hold {during[int(len(during) * 0.99) - 1]:.1f} ms, max merge delay {delay:.1f} s")


def _slow_append(opened: threading.Event, release: threading.Event, rollback: bool, out: list):
    try:
        with transaction.atomic():
            out.append(services.record_fact(fact(1)))
            opened.set()
            release.wait(20)
            if rollback:
                transaction.set_rollback(True)
    finally:
        connection.close()


@pytest.mark.parametrize("rollback", [False, True], ids=["commits", "rolls-back"])
def test_a_slow_transaction_holds_its_place_in_the_id_order(settings, rollback):
    settings.KADUN_EVIDENCE_GAP_GRACE_SECONDS = 0.3
    settings.KADUN_EVIDENCE_GAP_MAX_SECONDS = 30
    first = append(0)
    integrate_all()
    opened, release, slow = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=_slow_append, args=(opened, release, rollback, slow))
    thread.start()
    assert opened.wait(10)
    later = append(2)  # a higher id commits while the lower one is still open
    assert later.id > slow[0].id
    for _ in range(5):  # well past the grace: still waiting, the slow transaction is open
        assert services.entries_integrate() == 0
        time.sleep(0.2)
    assert LogState.objects.get().gap_from == slow[0].id
    release.set()
    thread.join(10)
    time.sleep(0.05)
    assert integrate_all() == (1 if rollback else 2)
    order = dict(Entry.objects.values_list("id", "leaf_index"))
    if rollback:
        assert order == {first.id: 0, later.id: 1}
    else:
        assert order == {first.id: 0, slow[0].id: 1, later.id: 2}  # in id order, nothing passed over
    assert selectors.root_of_size(len(order)) == merkle.root_of(
        [merkle.leaf_hash(leaf_bytes(e)) for e in Entry.objects.order_by("leaf_index")]).hex()
