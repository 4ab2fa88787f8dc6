"""The evidence log on PostgreSQL: append throughput, what one ``record()`` costs, and proofs at
1,000,000 entries.

1. **Appends**: for each writer count P (``--writers 1,2,4``), P processes append for
   ``--seconds`` (each append its own transaction: ``evidence.services.record_fact``, as the apps
   call it inside theirs), while one sequencer process runs the sweeper's evidence duty
   (integrate + sign). Prints appends/s, append latency p50/p99, and the largest merge delay
   (integrated_at − created_at) seen.
2. **One record()**: statements it adds to its transaction and CPU per call (this process), over
   ``--records`` calls.
3. **1,000,000 entries**: the tree is built directly in the node table (leaf hashes of
   synthetic leaves, every perfect subtree node computed by the same ``tree.Appender`` the
   sequencer uses, loaded with COPY); then ``--proofs`` random inclusion and consistency proofs
   are generated from the stored nodes (queries, ms) and verified (µs), and their sizes printed.

Nothing asserts: it measures and prints.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/evidence_log.py \\
        [--writers 1,2,4] [--seconds 10] [--leaves 1000000] [--proofs 1000] [--keep-db]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this worktree's kadun, not an installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))
import purchase as common  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


# --- worker processes (this script, re-invoked with --worker) ------------------------------------


def worker(mode: str, seconds: float) -> None:
    import django

    django.setup()
    from django.db import transaction

    from kadun.evidence import services
    from kadun.evidence.registry import Fact

    end = time.monotonic() + seconds
    if mode == "append":
        latencies, pid, i = [], os.getpid(), 0
        while time.monotonic() < end:
            i += 1
            fact = Fact(kind="order.paid", subject_type="order", subject_id=pid * 1_000_000 + i, actor_role="buyer", actor_id=pid,
                        body={"amount": 1000 + i, "order_no": f"K{pid}{i:08d}", "provider": "sandbox"})
            t0 = time.perf_counter()
            with transaction.atomic():
                services.record_fact(fact)
            latencies.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"latencies": latencies}))
    else:
        integrated = 0
        while time.monotonic() < end + 3:  # a little longer than the writers, to catch up
            n = services.evidence_step()
            integrated += n
            if not n:
                time.sleep(0.05)
        print(json.dumps({"integrated": integrated}))


def spawn(env: dict, mode: str, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--worker", mode, "--seconds", str(seconds)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collect(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(err[-2000:])
    return json.loads(out.strip().splitlines()[-1])


def appends(env: dict, writers: list[int], seconds: float, say) -> None:
    from django.db import connection

    print("\n## Appends (each its own transaction), one sequencer running")
    print(f"{'writers':>8} {'appends':>9} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max merge delay s':>18}")
    for p in writers:
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM evidence_entry")
            since = cur.fetchone()[0]
        sequencer = spawn(env, "sequence", seconds + 4)
        procs = [spawn(env, "append", seconds) for _ in range(p)]
        results = [collect(x) for x in procs]
        collect(sequencer)
        lat = [v for r in results for v in r["latencies"]]
        with connection.cursor() as cur:
            cur.execute("SELECT max(extract(epoch FROM integrated_at - created_at)), count(*) FILTER (WHERE leaf_index IS NULL) "
                        "FROM evidence_entry WHERE id > %s", [since])
            delay, pending = cur.fetchone()
        print(f"{p:>8} {len(lat):>9} {len(lat) / seconds:>10.0f} {pct(lat, .5):>8.1f} {pct(lat, .99):>8.1f} {float(delay or 0):>18.2f}"
              + (f"  ({pending} still pending)" if pending else ""))
        say(f"{p} writer(s) done")


def one_record(n: int) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from kadun.evidence import services
    from kadun.evidence.registry import Fact

    facts = [Fact(kind="order.paid", subject_type="order", subject_id=i, actor_role="buyer", actor_id=1,
                  body={"amount": 1000 + i, "order_no": f"KB{i:010d}", "provider": "sandbox"}) for i in range(n)]
    cpu = wall = 0.0
    with CaptureQueriesContext(connection) as q:
        for fact in facts:
            with transaction.atomic():
                before = len(q.captured_queries)
                c0, w0 = time.process_time(), time.perf_counter()
                services.record_fact(fact)
                cpu += time.process_time() - c0
                wall += time.perf_counter() - w0
                statements = len(q.captured_queries) - before
    print("\n## One record()")
    print(f"statements added to the fact's transaction: {statements} (one INSERT; no lock, no read)")
    print(f"CPU in this process: {cpu / n * 1000:.3f} ms per record (canonical JSON, SHA-256, the INSERT's client side); wall {wall / n * 1000:.3f} ms")


def big_tree(leaves: int, proofs: int, say) -> None:
    from django.db import connection

    from kadun.evidence import merkle
    from kadun.evidence.models import LogState
    from kadun.evidence.tree import Appender, StoredTree

    print(f"\n## Proofs at {leaves:,} entries")
    t0 = time.perf_counter()
    appender = Appender(0, [])
    hashes = []
    path = Path(tempfile.gettempdir()) / f"evidence-nodes-{os.getpid()}.tsv"
    with path.open("w") as fh:
        for i in range(leaves):
            leaf = merkle.leaf_hash(b'{"v":1,"id":%d}' % i)
            hashes.append(leaf)
            for key, h in appender.append(leaf):
                fh.write(f"{key}\t\\\\x{h.hex()}\n")
    built = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("TRUNCATE evidence_treenode")
        with path.open("rb") as fh, cur.connection.cursor().copy("COPY evidence_treenode (key, hash) FROM STDIN") as copy:
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        cur.execute("ANALYZE evidence_treenode")
        cur.execute("SELECT count(*), pg_size_pretty(pg_total_relation_size('evidence_treenode')) FROM evidence_treenode")
        rows, size = cur.fetchone()
    path.unlink()
    LogState.objects.update_or_create(pk=1, defaults={"tree_size": leaves})
    say(f"built {rows:,} nodes in {built:.1f} s (Python), loaded: {size}")
    root = merkle.root_of(hashes)
    t0 = time.perf_counter()
    assert StoredTree().root(leaves) == root
    print(f"nodes stored: {rows:,} ({size} with the primary key); root from the stored nodes: {(time.perf_counter() - t0) * 1000:.2f} ms")
    rng = random.Random(1)
    gen, ver, sizes, queries = [], [], [], 0
    from django.test.utils import CaptureQueriesContext

    for _ in range(proofs):
        m = rng.randrange(leaves)
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            p = StoredTree().inclusion(m, leaves)
            gen.append((time.perf_counter() - t0) * 1000)
        queries = max(queries, len(q.captured_queries))
        t0 = time.perf_counter()
        ok = merkle.verify_inclusion(m, leaves, hashes[m], p, root)
        ver.append((time.perf_counter() - t0) * 1e6)
        assert ok
        sizes.append(len(json.dumps({"leaf_index": m, "tree_size": leaves, "path": [x.hex() for x in p]})))
    print(f"inclusion: {len(p)} hashes ({len(p) * 32} bytes raw, JSON ~{sum(sizes) // len(sizes)} bytes); "
          f"generate p50 {pct(gen, .5):.2f} ms p99 {pct(gen, .99):.2f} ms ({queries} query); verify p50 {pct(ver, .5):.0f} µs")
    gen, ver, lens = [], [], []
    memo: dict[int, bytes] = {}
    for _ in range(min(proofs, 200)):
        first = rng.randint(1, leaves - 1)
        t0 = time.perf_counter()
        p = StoredTree().consistency(first, leaves)
        gen.append((time.perf_counter() - t0) * 1000)
        r1 = memo.setdefault(first, StoredTree().root(first))
        t0 = time.perf_counter()
        ok = merkle.verify_consistency(first, leaves, r1, root, p)
        ver.append((time.perf_counter() - t0) * 1e6)
        lens.append(len(p))
        assert ok
    print(f"consistency (random first size → {leaves:,}): {min(lens)}–{max(lens)} hashes; generate p50 {pct(gen, .5):.2f} ms "
          f"p99 {pct(gen, .99):.2f} ms; verify p50 {pct(ver, .5):.0f} µs")
    print(f"(leaf hashing + node building in Python: {leaves / built:,.0f} leaves/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=["append", "sequence"])
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--db-name", default="kadun_bench_evidence")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.seconds)
    say = common.sayer()
    admin_url = common.admin_url_from_env()
    db_url = common.with_dbname(admin_url, args.db_name)
    var_dir = Path(tempfile.mkdtemp(prefix="kadun-bench-evidence-"))
    env = common.app_env(db_url, var_dir, 8000)
    env["DJANGO_SETTINGS_MODULE"] = "kadun.settings"
    env["PYTHONPATH"] = str(ROOT)
    common.recreate_database(admin_url, args.db_name)
    try:
        common.kadun(env, "migrate", "--noinput", "-v0")
        say("migrated")
        os.environ.update(env)
        import django

        django.setup()
        print(json.dumps(common.machine(admin_url)))
        appends(env, [int(x) for x in args.writers.split(",")], args.seconds, say)
        one_record(args.records)
        big_tree(args.leaves, args.proofs, say)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            common.drop_database(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
