"""Sweeper throughput: how many due deadlines a second ``kadun sweep`` processes fire on PostgreSQL.

The work is N delivered orders whose auto-confirm deadlines are all due at once (a backlog after
an outage, or a busy day's inspection windows ending together). Firing one is what the sweeper
really does: ``order_autoconfirm`` → ``order_confirm`` — the order moves to confirmed, a
'release' journal entry moves the money out of the order's escrow account into the merchant's
pending account less the platform fee, an event is written and a settlement deadline scheduled —
and the deadline is marked fired, in the sweeper's transaction.

One run:

1. a template database is created, migrated (``kadun migrate``) and seeded through the services
   (``bench/generate.py``), then N delivered orders across ``--shops`` shops (the biggest shop
   has ``--big-share`` of them) are generated with set-based SQL, with everything the app would
   have written for them: payment + sandbox trade, the sold key, events, the payment journal
   entry with its two postings and the order's escrow account holding the money, the expiry
   deadline (fired), the delivery e-mail (sent) and the auto-confirm deadline — not yet due;
2. for each process count P (``--processes 1,2,4``) a copy of the template database is made
   (``CREATE DATABASE ... TEMPLATE``), P ``kadun sweep`` processes are started against it
   (settings unchanged: batch ``KADUN_SWEEP_BATCH``, 500, unless ``--batch`` is given), and once
   all are idle the N auto-confirm deadlines are made due (one UPDATE; distinct due times). The
   clock runs from that commit until no auto-confirm deadline is left unfired;
3. then it checks: every deadline fired, once (attempts = 1, or says how many were retried
   after an error), every order confirmed with exactly one 'release' entry and one 'confirmed'
   event, every escrow account at 0, the pending balances equal to the amounts less fees, one
   settlement deadline per order, and ``kadun ledger-check`` exits 0; counts deadlocks and
   other errors in the sweepers' logs; and drops the copy.

Nothing asserts: it measures and prints (and says FAILED next to a check that did not hold).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sweeper.py \\
        --n 100000 --processes 1,2,4 [--shops 200] [--batch 200] [--keep-db]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import purchase as common  # noqa: E402

TARGET = 2000  # deadlines/s


@dataclass
class Run:
    processes: int
    n: int
    seconds: float = 0.0
    fired: int = 0
    timed_out: bool = False
    progress: list[tuple[float, int]] = field(default_factory=list)  # (seconds, fired so far)
    cpu: dict = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    log_errors: dict[str, int] = field(default_factory=dict)
    loadavg: str = ""

    @property
    def rate(self) -> float:
        return self.fired / self.seconds if self.seconds else 0.0

    def steady_rate(self) -> float:
        """Rate between 10 % and 90 % fired (no start-up, no tail of retried deadlines)."""
        lo = hi = None
        for t, fired in self.progress:
            if lo is None and fired >= 0.1 * self.n:
                lo = (t, fired)
            if hi is None and fired >= 0.9 * self.n:
                hi = (t, fired)
        if not lo or not hi or hi[0] <= lo[0]:
            return self.rate
        return (hi[1] - lo[1]) / (hi[0] - lo[0])


def build_template(admin_url: str, name: str, args, say) -> tuple[dict, Path, tuple[int, int], dict]:
    db_url, env, var_dir, templates, _ = gen.prepare(admin_url, name, say)
    say(f"generating {args.n:,} delivered orders across {args.shops} shops (biggest shop {args.big_share:.0%})")
    with psycopg.connect(db_url) as conn:
        g = gen.Generator(conn, templates, say)
        g.people(shops=args.shops, buyers=1000)
        g.catalog(products=args.shops * 5, keys_per_product=0)
        first, last = g.orders(args.n, mix={"delivered": 1.0}, big_share=args.big_share, seconds_apart=1.0, end_offset_s=2 * 86400)
        g.order_rows(first, last, key_every=1, events=True, trades=True, ledger=True, deadlines=True, outbox=True,
                     autoconfirm_due="now() + interval '30 days' + o.id * interval '1 millisecond'")
        g.finish()
        say(f"generated in {sum(g.timings.values()):.0f} s")
    return env, var_dir, (first, last), templates


def start_sweepers(env: dict, var_dir: Path, db_url: str, processes: int, args, *, prefix: str = "sweeper") -> list:
    """``processes`` × ``kadun sweep`` on ``db_url``, each logging to var_dir; returns (process, log
    path) once every one says it is running."""
    senv = sweeper_env(env, db_url, args.batch)
    procs = []
    for i in range(processes):
        log_path = var_dir / f"{prefix}-{processes}-{i}.log"
        log = open(log_path, "w")
        proc = subprocess.Popen([common.PY, "-m", "kadun.cli", "sweep"], cwd=common.ROOT, env=senv, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((proc, log_path))
    deadline = time.monotonic() + 120
    while not all("kadun sweeper running" in p[1].read_text() for p in procs):
        for proc, log_path in procs:
            if proc.poll() is not None:
                raise SystemExit(f"sweeper exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit("sweepers did not start within 120 s")
        time.sleep(0.2)
    return procs


def sweeper_env(env: dict, db_url: str, batch: int | None) -> dict:
    out = {**env, "DATABASE_URL": db_url, "KADUN_LOG_LEVEL": "WARNING"}
    if batch:
        out["KADUN_SWEEP_BATCH"] = str(batch)
    return out


def unfired(conn, first: int, last: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM deadlines_deadline WHERE kind = 'order_autoconfirm' AND fired_at IS NULL AND subject_id BETWEEN %s AND %s",
        (first, last),
    ).fetchone()[0]


def run_once(admin_url: str, tmpl_name: str, env: dict, var_dir: Path, rng: tuple[int, int], processes: int, args, say) -> Run:
    first, last = rng
    n = last - first + 1
    name = f"{args.db_name}_p{processes}"
    db_url = common.with_dbname(admin_url, name)
    run = Run(processes=processes, n=n)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl_name}"')
    procs: list[tuple[subprocess.Popen, Path]] = []
    try:
        senv = sweeper_env(env, db_url, args.batch)
        procs = start_sweepers(env, var_dir, db_url, processes, args)
        time.sleep(1.5)  # let each finish its first (empty) round
        monitor = common.CpuMonitor(name)
        cpu0 = {p.pid: common.proc_cpu(p.pid) for p, _ in procs}
        run.loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
        with psycopg.connect(db_url, autocommit=True) as conn:
            monitor.start()
            # Distinct due times, all in the past: as a real backlog, not one tie of N rows.
            conn.execute(
                "UPDATE deadlines_deadline SET due_at = now() - interval '1 hour' + (subject_id - %s) * interval '10 microseconds' "
                "WHERE kind = 'order_autoconfirm' AND fired_at IS NULL AND subject_id BETWEEN %s AND %s",
                (first, first, last),
            )
            t0 = time.perf_counter()
            say(f"  {processes} sweeper(s): {n:,} deadlines due")
            next_report = t0 + 30
            while True:
                left = unfired(conn, first, last)
                now = time.perf_counter()
                run.progress.append((now - t0, n - left))
                if left == 0:
                    break
                if now - t0 > args.max_seconds:
                    run.timed_out = True
                    break
                if now >= next_report:
                    say(f"    {now - t0:5.0f} s: {n - left:,} fired ({(n - left) / (now - t0):.0f}/s)")
                    next_report += 30
                time.sleep(0.2)
            run.seconds = time.perf_counter() - t0
            run.fired = n - left
            run.cpu = monitor.stop()
            run.cpu["sweepers"] = sum((common.proc_cpu(p.pid) or 0) - (cpu0[p.pid] or 0) for p, _ in procs)
        stop(procs)
        for _, log_path in procs:
            text = log_path.read_text()
            for label, pattern in (("deadlock detected", r"deadlock detected"), ("lock timeout", r"lock timeout"),
                                   ("deadline failed", r"deadline \S+ #\d+ for subject \d+ failed"), ("traceback", r"Traceback")):
                run.log_errors[label] = run.log_errors.get(label, 0) + len(re.findall(pattern, text))
        verify(run, db_url, senv, first, last)
    finally:
        stop(procs)
        if not args.keep_db:
            common.drop_database(admin_url, name)
    return run


PROFILE = r"""
import collections, json, os, re, time
from django.db import connection
from kadun.deadlines.services import deadlines_sweep

limit = int(os.environ["BENCH_PROFILE_N"])
counts = collections.Counter()


def wrap(execute, sql, params, many, context):
    words = sql.split()
    head = " ".join(w for w in words[:3] if w in ("SAVEPOINT", "RELEASE", "ROLLBACK", "TO")) or words[0]
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    lock = " FOR UPDATE" if "FOR UPDATE" in sql else ""
    counts[f"{head} {table.group(1) if table else ''}{lock}".strip()] += 1
    return execute(sql, params, many, context)


fired = 0
c0, w0 = time.thread_time(), time.perf_counter()
with connection.execute_wrapper(wrap):
    while fired < limit:
        taken = deadlines_sweep()
        if not taken:
            break
        fired += taken
print("BENCH-PROFILE " + json.dumps({"fired": fired, "cpu": time.thread_time() - c0, "wall": time.perf_counter() - w0,
                                     "statements": dict(counts.most_common())}))
"""


def profile(admin_url: str, tmpl_name: str, env: dict, rng: tuple[int, int], args, say) -> dict:
    """One sweeper in-process (``kadun shell -c``) on a fresh copy: CPU and SQL statements per
    deadline, statements grouped by kind and table."""
    first, last = rng
    n = min(args.profile_n, last - first + 1)
    name = f"{args.db_name}_profile"
    db_url = common.with_dbname(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl_name}"')
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE deadlines_deadline SET due_at = now() - interval '1 hour' + (subject_id - %s) * interval '10 microseconds' "
                "WHERE kind = 'order_autoconfirm' AND fired_at IS NULL AND subject_id BETWEEN %s AND %s",
                (first, first, first + n - 1),
            )
        say(f"profiling one sweeper in-process over {n:,} deadlines")
        out = common.kadun(sweeper_env(env, db_url, args.batch), "shell", "-c", PROFILE, extra_env={"BENCH_PROFILE_N": str(n)})
        line = next(line for line in out.splitlines() if line.startswith("BENCH-PROFILE "))
        return json.loads(line.split(" ", 1)[1])
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, name)


# --- the same work, set-based, in SQL ------------------------------------------------------------
# What a batch of auto-confirm deadlines amounts to in the database, written as ~10 set-based
# statements per batch (psycopg, no Django): the same rows as order_confirm + deadlines_sweep
# write — order confirmed with its fee, one 'release' entry with three postings (escrow out,
# merchant pending in less the fee, platform fees in), escrow balance down (never below 0),
# pending balance up, 'confirmed' event, settlement deadline, deadline fired — in one
# transaction per batch. Pending accounts are locked in id order first, so concurrent batches
# wait for each other but never deadlock. A bound on what a set-based handler could reach; not
# the app.

RAW_CLAIM = """
SELECT id, subject_id FROM deadlines_deadline
WHERE kind = 'order_autoconfirm' AND fired_at IS NULL AND due_at <= now()
ORDER BY due_at, id LIMIT %(batch)s FOR UPDATE SKIP LOCKED"""
RAW_CONFIRM = """
UPDATE orders_order SET status = 'confirmed', confirmed_at = now(),
       fee = ((amount - refunded_amount) * %(bps)s + 5000) / 10000
WHERE id = ANY(%(orders)s) AND status = 'delivered' AND NOT refund_hold
RETURNING id, shop_id, amount - refunded_amount, fee"""
RAW_LOCK_PENDING = "SELECT id FROM ledger_account WHERE code = ANY(%(codes)s) ORDER BY id FOR UPDATE"
RAW_ENTRIES = """
INSERT INTO ledger_journalentry (kind, idempotency_key, ref_type, ref_id, memo, created_at)
SELECT 'release', 'release:order:' || o, 'order', o, '', now() FROM unnest(%(orders)s::bigint[]) o
RETURNING id, ref_id"""
RAW_POSTINGS = """
INSERT INTO ledger_posting (entry_id, account_id, amount)
SELECT r.entry, a.id, r.amount
FROM unnest(%(entries)s::bigint[], %(codes)s::text[], %(amounts)s::bigint[]) AS r(entry, code, amount)
JOIN ledger_account a ON a.code = r.code"""
RAW_ESCROW = """
UPDATE ledger_account a SET balance = a.balance - r.amount
FROM unnest(%(codes)s::text[], %(amounts)s::bigint[]) AS r(code, amount)
WHERE a.code = r.code AND a.balance >= r.amount"""
RAW_PENDING = """
UPDATE ledger_account a SET balance = a.balance + r.amount
FROM (SELECT code, sum(amount) AS amount FROM unnest(%(codes)s::text[], %(amounts)s::bigint[]) AS x(code, amount) GROUP BY code) r
WHERE a.code = r.code"""
RAW_EVENTS = """
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, actor, actor_user_id, note, at)
SELECT o, 'confirmed', 'delivered', 'confirmed', 'system', NULL, '验货期结束，系统自动确认收货', now()
FROM unnest(%(orders)s::bigint[]) o"""
RAW_SETTLE = """
INSERT INTO deadlines_deadline (kind, subject_id, due_at, fired_at, outcome, attempts, last_error, created_at)
SELECT 'order_settle', o, now() + interval '72 hours', NULL, '', 0, '', now() FROM unnest(%(orders)s::bigint[]) o
ON CONFLICT (kind, subject_id) DO NOTHING"""
RAW_FIRED = """
UPDATE deadlines_deadline SET fired_at = now(), attempts = attempts + 1,
       outcome = CASE WHEN subject_id = ANY(%(done)s) THEN 'done' ELSE 'noop' END
WHERE id = ANY(%(ids)s)"""


def raw_batch(conn, batch: int) -> int:
    with conn.transaction():
        claimed = conn.execute(RAW_CLAIM, {"batch": batch}).fetchall()
        if not claimed:
            return 0
        rows = conn.execute(RAW_CONFIRM, {"orders": [r[1] for r in claimed], "bps": 200}).fetchall()
        done = [r[0] for r in rows]
        if rows:
            pending = sorted({f"merchant:{r[1]}:pending" for r in rows})
            conn.execute(RAW_LOCK_PENDING, {"codes": pending})
            entry_of = dict((ref, eid) for eid, ref in conn.execute(RAW_ENTRIES, {"orders": done}).fetchall())
            entries, codes, amounts = [], [], []
            for order_id, shop_id, released, fee in rows:
                for code, amount in ((f"escrow:order:{order_id}", -released), (f"merchant:{shop_id}:pending", released - fee),
                                     ("platform:fees", fee)):
                    if amount:
                        entries.append(entry_of[order_id]), codes.append(code), amounts.append(amount)
            conn.execute(RAW_POSTINGS, {"entries": entries, "codes": codes, "amounts": amounts})
            escrow = conn.execute(RAW_ESCROW, {"codes": [f"escrow:order:{r[0]}" for r in rows], "amounts": [r[2] for r in rows]})
            if escrow.rowcount != len(rows):
                raise RuntimeError("an escrow account would go negative")
            conn.execute(RAW_PENDING, {"codes": [f"merchant:{r[1]}:pending" for r in rows], "amounts": [r[2] - r[3] for r in rows]})
            conn.execute(RAW_EVENTS, {"orders": done})
            conn.execute(RAW_SETTLE, {"orders": done})
        conn.execute(RAW_FIRED, {"done": done, "ids": [r[0] for r in claimed]})
        return len(claimed)


def run_raw(admin_url: str, tmpl_name: str, env: dict, rng: tuple[int, int], workers: int, args, say) -> Run:
    import threading

    first, last = rng
    n = last - first + 1
    name = f"{args.db_name}_raw{workers}"
    db_url = common.with_dbname(admin_url, name)
    run = Run(processes=workers, n=n)
    batch = args.batch or 500
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl_name}"')
    try:
        stop_event = threading.Event()
        errors: list[str] = []

        def worker() -> None:
            with psycopg.connect(db_url, autocommit=True) as conn:
                while not stop_event.is_set():
                    try:
                        if raw_batch(conn, batch) == 0:
                            stop_event.wait(0.05)
                    except psycopg.Error as exc:  # e.g. a serialization failure: report and go on
                        errors.append(str(exc)[:200])

        monitor = common.CpuMonitor(name)
        run.loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
        for t in threads:
            t.start()
        with psycopg.connect(db_url, autocommit=True) as conn:
            monitor.start()
            client0 = time.process_time()
            conn.execute(
                "UPDATE deadlines_deadline SET due_at = now() - interval '1 hour' + (subject_id - %s) * interval '10 microseconds' "
                "WHERE kind = 'order_autoconfirm' AND fired_at IS NULL AND subject_id BETWEEN %s AND %s",
                (first, first, last),
            )
            t0 = time.perf_counter()
            while True:
                left = unfired(conn, first, last)
                now = time.perf_counter()
                run.progress.append((now - t0, n - left))
                if left == 0 or now - t0 > args.max_seconds:
                    run.timed_out = left > 0
                    break
                time.sleep(0.1)
            run.seconds = time.perf_counter() - t0
            run.fired = n - left
            run.cpu = monitor.stop()
            run.cpu["sweepers"] = time.process_time() - client0
        stop_event.set()
        for t in threads:
            t.join()
        run.log_errors = {"errors": len(errors)}
        verify(run, db_url, sweeper_env(env, db_url, None), first, last)
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, name)
    return run


def stop(procs) -> None:
    for proc, _ in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc, _ in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def verify(run: Run, db_url: str, env: dict, first: int, last: int) -> None:
    n = last - first + 1
    with psycopg.connect(db_url, autocommit=True) as conn:
        q = lambda sql: conn.execute(sql, {"a": first, "b": last}).fetchone()  # noqa: E731
        fired, done, retried, failed = q(
            "SELECT count(*) FILTER (WHERE fired_at IS NOT NULL), count(*) FILTER (WHERE outcome = 'done'), "
            "count(*) FILTER (WHERE attempts > 1), count(*) FILTER (WHERE outcome = 'failed') "
            "FROM deadlines_deadline WHERE kind = 'order_autoconfirm' AND subject_id BETWEEN %(a)s AND %(b)s"
        )
        run.checks.append(("auto-confirm deadlines fired, outcome 'done'", fired == n and done == n, f"{fired:,} fired, {done:,} done of {n:,}"))
        run.checks.append(("fired on the first attempt", retried == 0 and failed == 0,
                           f"{retried:,} needed more than one attempt (an error rolled the attempt back), {failed:,} gave up"))
        confirmed, = q("SELECT count(*) FROM orders_order WHERE id BETWEEN %(a)s AND %(b)s AND status = 'confirmed'")
        run.checks.append(("orders confirmed", confirmed == n, f"{confirmed:,} of {n:,}"))
        entries, orders_with = q(
            "SELECT count(*), count(DISTINCT ref_id) FROM ledger_journalentry WHERE kind = 'release' AND ref_type = 'order' "
            "AND ref_id BETWEEN %(a)s AND %(b)s"
        )
        run.checks.append(("one 'release' journal entry per order", entries == n and orders_with == n,
                           f"{entries:,} entries for {orders_with:,} orders"))
        events, orders_ev = q(
            "SELECT count(*), count(DISTINCT order_id) FROM orders_orderevent WHERE kind = 'confirmed' AND order_id BETWEEN %(a)s AND %(b)s"
        )
        run.checks.append(("one 'confirmed' event per order", events == n and orders_ev == n, f"{events:,} events for {orders_ev:,} orders"))
        nonzero, = q("SELECT count(*) FROM ledger_account WHERE kind = 'escrow' AND owner_id BETWEEN %(a)s AND %(b)s AND balance <> 0")
        run.checks.append(("escrow accounts emptied", nonzero == 0, f"{nonzero:,} escrow accounts not at 0"))
        expected, pending = q(
            "SELECT (SELECT sum(amount - fee) FROM orders_order WHERE id BETWEEN %(a)s AND %(b)s), "
            "(SELECT sum(balance) FROM ledger_account WHERE kind = 'pending' AND owner_id IN "
            " (SELECT DISTINCT shop_id FROM orders_order WHERE id BETWEEN %(a)s AND %(b)s))"
        )
        run.checks.append(("merchants' pending balances = amounts less fees", expected == pending, f"{pending} / {expected} 分"))
        settle, = q("SELECT count(*) FROM deadlines_deadline WHERE kind = 'order_settle' AND subject_id BETWEEN %(a)s AND %(b)s AND fired_at IS NULL")
        run.checks.append(("one settlement deadline per order", settle == n, f"{settle:,}"))
    t0 = time.perf_counter()
    proc = subprocess.run([common.PY, "-m", "kadun.cli", "ledger-check"], cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=1800)
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
    run.checks.append(("kadun ledger-check exit 0", proc.returncode == 0, f"exit {proc.returncode} in {time.perf_counter() - t0:.0f} s: {tail[0]}"))


def report_raw(runs: list[Run], args) -> None:
    print()
    print(f"the same work as set-based SQL (psycopg, batch {args.batch or 500} in one transaction, ~10 statements a batch; not the app)")
    print(f"{'connections':>11}{'fired':>10}{'seconds':>9}{'deadlines/s':>13}{'client CPU ms':>15}{'PG CPU ms':>11}{'load avg':>18}")
    for r in runs:
        cl = 1000 * r.cpu.get("sweepers", 0) / max(1, r.fired)
        pg = 1000 * (r.cpu.get("postgres") or 0) / max(1, r.fired)
        print(f"{r.processes:>11}{r.fired:>10,}{r.seconds:>9.1f}{r.rate:>13.1f}{cl:>15.2f}{pg:>11.2f}{r.loadavg:>18}")
    for r in runs:
        bad = [f"{label}: {detail}" for label, ok, detail in r.checks if not ok]
        print(f"  {r.processes} connection(s): checks {'all ok' if not bad else 'FAILED: ' + '; '.join(bad)}; "
              f"errors {r.log_errors.get('errors', 0)}")


def report_profile(prof: dict) -> None:
    n = max(1, prof["fired"])
    total = sum(prof["statements"].values())
    claims = max(1, sum(count for what, count in prof["statements"].items() if what.startswith("SELECT deadlines_deadline") and "FOR UPDATE" in what))
    print()
    print(f"one sweeper in-process, {prof['fired']:,} deadlines in {claims} sweeps: {1000 * prof['cpu'] / n:.2f} ms CPU and "
          f"{1000 * prof['wall'] / n:.2f} ms wall per deadline; {total / n:.3f} SQL statements per deadline, "
          f"{total / claims:.1f} per sweep (savepoints included):")
    print(f"  {'per sweep':>9}  statement")
    for what, count in sorted(prof["statements"].items(), key=lambda kv: -kv[1]):
        print(f"  {count / claims:>9.2f}  {what}")


def report(args, info: dict, runs: list[Run], gen_seconds: float) -> None:
    print()
    print(f"kadun sweeper benchmark: N={args.n:,} due auto-confirm deadlines, {args.shops} shops (biggest {args.big_share:.0%}), "
          f"batch {args.batch or 'default (KADUN_SWEEP_BATCH, 500)'}")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']} "
          f"(synchronous_commit={info['synchronous_commit']}), Python {info['python']}, load average at start {info['loadavg']}")
    print(f"data generated in {gen_seconds:.0f} s")
    print()
    header = f"{'sweepers':>8}{'fired':>10}{'seconds':>9}{'deadlines/s':>13}{'steady/s':>10}{'sweeper CPU ms':>16}{'PG CPU ms':>11}{'load avg':>18}"
    print(header + "   (CPU per deadline)")
    print("-" * len(header))
    for r in runs:
        sw = 1000 * r.cpu.get("sweepers", 0) / max(1, r.fired)
        pg = 1000 * (r.cpu.get("postgres") or 0) / max(1, r.fired)
        note = "  TIMED OUT" if r.timed_out else ""
        print(f"{r.processes:>8}{r.fired:>10,}{r.seconds:>9.1f}{r.rate:>13.1f}{r.steady_rate():>10.1f}{sw:>16.2f}{pg:>11.2f}{r.loadavg:>18}{note}")
    print(f"target: >= {TARGET} deadlines/s")
    for r in runs:
        print()
        print(f"{r.processes} sweeper(s): checks")
        for label, ok, detail in r.checks:
            print(f"  {'ok    ' if ok else 'FAILED'} {label}: {detail}")
        errors = ", ".join(f"{k} {v}" for k, v in r.log_errors.items())
        print(f"  sweeper logs: {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="due deadlines (default 100,000)")
    parser.add_argument("--processes", default="1,2,4", help="sweeper process counts to run, one after the other (default 1,2,4)")
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--big-share", type=float, default=0.2, help="share of the orders in the biggest shop (default 0.2)")
    parser.add_argument("--batch", type=int, default=None, help="KADUN_SWEEP_BATCH for the sweepers (default: the app's, 500)")
    parser.add_argument("--max-seconds", type=float, default=3600, help="give up on a run after this long (default 3600)")
    parser.add_argument("--raw", default="", help="also run the set-based SQL version with these connection counts, e.g. 1,2")
    parser.add_argument("--profile-n", type=int, default=2000, help="deadlines fired in-process for the per-deadline profile (0: skip)")
    parser.add_argument("--db-name", default="kadun_bench2_sweep")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    admin_url = common.admin_url_from_env()
    say = common.sayer()

    info = common.machine(admin_url)
    tmpl = f"{args.db_name}_tmpl"
    var_dir = None
    runs: list[Run] = []
    try:
        t0 = time.perf_counter()
        env, var_dir, rng, _ = build_template(admin_url, tmpl, args, say)
        gen_seconds = time.perf_counter() - t0
        for p in [int(x) for x in args.processes.split(",") if x.strip()]:
            run = run_once(admin_url, tmpl, env, var_dir, rng, p, args, say)
            say(f"  {p} sweeper(s): {run.fired:,} in {run.seconds:.1f} s = {run.rate:.1f}/s; "
                f"checks {'all ok' if all(ok for _, ok, _ in run.checks) else 'FAILED'}")
            runs.append(run)
        raw_runs: list[Run] = []
        for w in [int(x) for x in args.raw.split(",") if x.strip()]:
            run = run_raw(admin_url, tmpl, env, rng, w, args, say)
            say(f"  raw SQL, {w} connection(s): {run.fired:,} in {run.seconds:.1f} s = {run.rate:.1f}/s; "
                f"checks {'all ok' if all(ok for _, ok, _ in run.checks) else 'FAILED'}")
            raw_runs.append(run)
        prof = profile(admin_url, tmpl, env, rng, args, say) if args.profile_n else None
        report(args, info, runs, gen_seconds)
        if raw_runs:
            report_raw(raw_runs, args)
        if prof:
            report_profile(prof)
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, tmpl)
        if var_dir is not None:
            shutil.rmtree(var_dir, ignore_errors=True)
    say("done")


if __name__ == "__main__":
    main()
