"""After-sales cases (售后工单) at scale: case deadlines fired per second by the sweeper, and the
case pages' latency and SQL query counts.

Both parts create a database of their own (dropped first and at the end), migrate it and write
template rows through the services (``bench/generate.py``'s seed, then ``case_data.CASE_SEED``:
cases opened, answered, offered, rejected, escalated, decided, appealed and settled by
``kadun.cases``), then generate everything else with set-based SQL that copies those rows
(``generate.clone``; the case rows in ``bench/case_data.py``).

``--part sweeper``: N cases (``--n``, default 20,000) on delivered orders whose money is in
escrow (payment, sandbox trade, sold key, events, payment entry and postings, escrow account,
expiry and auto-confirm deadlines fired — the auto-confirm as 'held', the case holds the order),
half of them (``--offer-share``) in each of two waiting stages whose default outcomes are the
heavy ones:

- awaiting_merchant, 48 h without a reply (``case_merchant_silent``): the case escalates to the
  platform by itself — moved to platform_review, events, two SLA clocks started with their own
  waits and deadlines, the buyer told;
- negotiating with the merchant's partial refund open, 72 h without an answer
  (``case_offer_silent``): the offer is accepted and carried out — the refund through
  ``orders.order_refund`` (order updated, refund row, refund journal entry out of escrow,
  provider refund queued in the outbox), the case closed, the hold released and the order's
  auto-confirm re-armed (it then fires: the rest of the escrow released to the merchant).

For each sweeper count (``--processes 1,2``) a copy of the database is made, that many
``kadun sweep`` processes started (settings unchanged), and once they are idle the N case
deadlines are made due in one UPDATE (distinct due times, both kinds interleaved). The clock runs
until none of them is left unfired; the follow-ups (auto-confirms, the outbox) are timed to the
end separately. Then it checks every case deadline fired once with outcome 'done', the statuses,
events and SLA clocks, one refund per offer to the 分, the holds, and ``kadun ledger-check``
(``backoffice.selectors.platform_check``).

``--part pages``: ``--cases`` (default 10,000 then 100,000) cases on ``--case-share`` (10 %) of
the orders ``bench/pages.py`` generates (200 shops, the biggest with 20 %), spread over the
stages (a few % open with the platform, most closed), each with its messages (about 5), events
(about 6), offer, SLA clocks, evidence request and decision as its stage has them, and one case
with a long thread. At each size it runs ``VACUUM ANALYZE`` and requests each page in-process with
Django's test client as ``bench/pages.py`` does (warm-up, ``--requests`` timed, one counting
queries) and prints p50 / p99, CPU and the SQL query count per page and size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/cases.py --part sweeper \\
        [--n 20000] [--processes 1,2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/cases.py --part pages \\
        [--cases 10000,100000] [--requests 100]
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import case_data as data  # noqa: E402
import generate as gen  # noqa: E402
import pages as pg  # noqa: E402
import purchase as common  # noqa: E402
import sweeper as sw  # noqa: E402

TARGET_MS = 100.0


def build_sweeper_template(admin_url: str, name: str, args, say) -> tuple[dict, Path, dict, float]:
    t0 = time.perf_counter()
    db_url, env, var_dir, templates, _ = gen.prepare(admin_url, name, say)
    say("writing template cases through the services")
    ct = data.seed_cases(env, templates)
    n_b = round(args.n * args.offer_share)
    n_a = args.n - n_b
    say(f"generating {args.n:,} cases on delivered orders across {args.shops} shops: {n_a:,} awaiting the merchant, "
        f"{n_b:,} negotiating with a partial refund open")
    with psycopg.connect(db_url) as conn:
        g = gen.Generator(conn, templates, say)
        g.people(shops=args.shops, buyers=1000)
        g.catalog(products=args.shops * 5, keys_per_product=0)
        # Delivered 49 h ago (case opened 1 h later: its 48 h are up now) and 80 h ago (offer made 8 h after delivery, 72 h ago).
        first, split = g.orders(n_a, mix={"delivered": 1.0}, big_share=args.big_share, seconds_apart=0.05, end_offset_s=49 * 3600)
        split2, last = g.orders(n_b, mix={"delivered": 1.0}, big_share=args.big_share, seconds_apart=0.05, end_offset_s=80 * 3600)
        assert split2 == split + 1
        g.order_rows(first, last, key_every=1, events=True, trades=True, ledger=True, deadlines=True, outbox=True)
        info = data.sweeper_cases(g, ct, first, split, last)
        g.finish()
    info["kinds"] = ct["kinds"]
    return env, var_dir, info, time.perf_counter() - t0


def ours(info: dict) -> tuple[str, dict]:
    """The N case deadlines of the run (the merchant's reply deadline of A, the offer's of B)."""
    k = info["kinds"]
    where = ("kind IN (%(km)s, %(ko)s) AND subject_id > %(w0)s AND subject_id <= %(w1)s "
             "AND NOT (kind = %(km)s AND subject_id > %(w0)s + 2 * %(na)s)")
    return where, {"km": k["merchant"], "ko": k["offer"], "w0": info["wbase"], "w1": info["wbase"] + 2 * info["n"], "na": info["n_a"]}


def make_due(conn, info: dict) -> int:
    """All N due at once, in the past, at distinct times, the two kinds interleaved (A at odd
    offsets, B at even ones)."""
    where, p = ours(info)
    return conn.execute(
        f"UPDATE deadlines_deadline SET due_at = now() - interval '1 hour' + "
        f"(CASE WHEN kind = %(km)s THEN subject_id - %(w0)s ELSE subject_id - %(w0)s - 2 * %(na)s END) * interval '10 microseconds' "
        f"WHERE fired_at IS NULL AND {where}", p,
    ).rowcount


def unfired(conn, info: dict) -> int:
    where, p = ours(info)
    return conn.execute(f"SELECT count(*) FROM deadlines_deadline WHERE fired_at IS NULL AND {where}", p).fetchone()[0]


def backlog(conn) -> tuple[int, int]:
    """Due deadlines not yet fired, and outbox messages due and not sent (the follow-ups)."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM deadlines_deadline WHERE fired_at IS NULL AND due_at <= now()), "
        "(SELECT count(*) FROM notifications_outboxmessage WHERE sent_at IS NULL AND NOT dead AND next_attempt_at <= now())"
    ).fetchone()


def wait_idle(conn, seconds: float = 120) -> None:
    """Until the sweepers have fired whatever was due before the run (template rows) and sent the outbox."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(backlog(conn)):
        time.sleep(0.5)
    time.sleep(1.5)


def run_sweep(admin_url: str, tmpl: str, env: dict, var_dir: Path, info: dict, processes: int, args, say) -> sw.Run:
    name = f"{args.db_name}_p{processes}"
    db_url = common.with_dbname(admin_url, name)
    n = info["n"]
    run = sw.Run(processes=processes, n=n)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"')
    procs = []
    try:
        procs = sw.start_sweepers(env, var_dir, db_url, processes, args, prefix="case-sweeper")
        with psycopg.connect(db_url, autocommit=True) as conn:
            wait_idle(conn)
            monitor = common.CpuMonitor(name)
            cpu0 = {p.pid: common.proc_cpu(p.pid) for p, _ in procs}
            run.loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
            monitor.start()
            due = make_due(conn, info)
            if due != n:
                raise SystemExit(f"{due} case deadlines made due, expected {n}")
            t0 = time.perf_counter()
            say(f"  {processes} sweeper(s): {n:,} case deadlines due (load average {run.loadavg})")
            next_report = t0 + 30
            while True:
                left = unfired(conn, info)
                now = time.perf_counter()
                run.progress.append((now - t0, n - left))
                if left == 0 or now - t0 > args.max_seconds:
                    run.timed_out = left > 0
                    break
                if now >= next_report:
                    say(f"    {now - t0:5.0f} s: {n - left:,} fired ({(n - left) / (now - t0):.0f}/s)")
                    next_report += 30
                time.sleep(0.2)
            run.seconds = time.perf_counter() - t0
            run.fired = n - left
            run.cpu = monitor.stop()
            run.cpu["sweepers"] = sum((common.proc_cpu(p.pid) or 0) - (cpu0[p.pid] or 0) for p, _ in procs)
            # The follow-ups: the re-armed auto-confirms of the refunded orders, the outbox (provider refunds, e-mails).
            while any(backlog(conn)) and time.perf_counter() - t0 < args.max_seconds:
                time.sleep(0.2)
            run.cpu["all_seconds"] = time.perf_counter() - t0
        sw.stop(procs)
        for _, log_path in procs:
            text = log_path.read_text()
            for label, pattern in (("deadlock detected", r"deadlock detected"), ("lock timeout", r"lock timeout"),
                                   ("deadline failed", r"deadline \S+ #\d+ for subject \d+ failed"), ("traceback", r"Traceback")):
                run.log_errors[label] = run.log_errors.get(label, 0) + len(re.findall(pattern, text))
        verify_sweep(run, db_url, sw.sweeper_env(env, db_url, None), info)
    finally:
        sw.stop(procs)
        if not args.keep_db:
            common.drop_database(admin_url, name)
    return run


def verify_sweep(run: sw.Run, db_url: str, env: dict, info: dict) -> None:
    n, n_a = info["n"], info["n_a"]
    n_b = n - n_a
    cb, split = info["cbase"], info["cbase"] + n_a
    where, p = ours(info)
    p.update(cb=cb, split=split, last=cb + n, o0=info["first"], os=info["split"], o1=info["last"], ob=info["obase"])
    check = run.checks.append
    with psycopg.connect(db_url, autocommit=True) as conn:
        q = lambda sql: conn.execute(sql, p).fetchone()  # noqa: E731
        fired, done, retried = q(f"SELECT count(*) FILTER (WHERE fired_at IS NOT NULL), count(*) FILTER (WHERE outcome = 'done'), "
                                 f"count(*) FILTER (WHERE attempts <> 1) FROM deadlines_deadline WHERE {where}")
        check(("case deadlines fired once, outcome 'done'", fired == n and done == n and retried == 0,
               f"{fired:,} fired, {done:,} done, {retried:,} not on their first attempt, of {n:,}"))
        a_ok, escalated, silent = q(
            "SELECT count(*) FILTER (WHERE status = 'platform_review' AND awaiting = 'staff' AND platform_since IS NOT NULL AND wait_id IS NULL), "
            "(SELECT count(*) FROM cases_caseevent WHERE case_id > %(cb)s AND case_id <= %(split)s AND kind = 'escalated'), "
            "(SELECT count(*) FROM cases_caseevent WHERE case_id > %(cb)s AND case_id <= %(split)s AND kind = 'merchant_silent') "
            "FROM cases_case WHERE id > %(cb)s AND id <= %(split)s")
        check(("awaiting the merchant → platform review, waiting on staff", a_ok == n_a and escalated == n_a and silent == n_a,
               f"{a_ok:,} of {n_a:,}; {silent:,} 'merchant_silent' and {escalated:,} 'escalated' events"))
        clocks, sla_due = q(
            "SELECT (SELECT count(*) FROM cases_slaclock WHERE case_id > %(cb)s AND case_id <= %(split)s AND met_at IS NULL), "
            "(SELECT count(*) FROM deadlines_deadline d JOIN cases_casewait w ON w.id = d.subject_id "
            " WHERE d.kind = 'case_sla' AND d.fired_at IS NULL AND w.case_id > %(cb)s AND w.case_id <= %(split)s)")
        check(("two SLA clocks started per escalated case, each with its deadline", clocks == 2 * n_a and sla_due == 2 * n_a,
               f"{clocks:,} clocks, {sla_due:,} SLA deadlines for {n_a:,} cases"))
        b_ok, accepted, paid = q(
            "SELECT count(*) FILTER (WHERE x.status = 'closed' AND x.outcome = 'partially_refunded' AND x.amount_refunded = f.amount "
            "AND f.status = 'accepted_by_default'), count(*) FILTER (WHERE f.status = 'accepted_by_default'), sum(x.amount_refunded) "
            "FROM cases_case x JOIN cases_caseoffer f ON f.case_id = x.id WHERE x.id > %(split)s AND x.id <= %(last)s AND f.id > %(ob)s")
        check(("offer cases closed, offer accepted by default, paid the offer", b_ok == n_b and accepted == n_b,
               f"{b_ok:,} of {n_b:,}; {paid or 0:,} 分 refunded"))
        refunds, refunded, entries, owed = q(
            "SELECT (SELECT count(*) FROM payments_refund WHERE order_id BETWEEN %(os)s + 1 AND %(o1)s AND reason LIKE 'case:%%'), "
            "(SELECT sum(amount) FROM payments_refund WHERE order_id BETWEEN %(os)s + 1 AND %(o1)s AND reason LIKE 'case:%%'), "
            "(SELECT count(*) FROM ledger_journalentry WHERE kind = 'refund' AND ref_type = 'order' AND ref_id BETWEEN %(os)s + 1 AND %(o1)s), "
            "(SELECT sum(amount / 2) FROM orders_order WHERE id BETWEEN %(os)s + 1 AND %(o1)s)")
        check(("one refund (row and journal entry) per offer, to the 分", refunds == n_b and entries == n_b and refunded == owed,
               f"{refunds:,} refunds, {entries:,} refund entries for {n_b:,} offers; {refunded or 0:,} of {owed or 0:,} 分"))
        held, released, confirmed = q(
            "SELECT count(*) FILTER (WHERE id <= %(os)s AND refund_hold AND status = 'delivered'), "
            "count(*) FILTER (WHERE id > %(os)s AND NOT refund_hold AND refunded_amount = amount / 2), "
            "count(*) FILTER (WHERE id > %(os)s AND status = 'confirmed') FROM orders_order WHERE id BETWEEN %(o0)s AND %(o1)s")
        check(("escalated cases still hold their orders; refunded orders released and then auto-confirmed",
               held == n_a and released == n_b and confirmed == n_b,
               f"{held:,} of {n_a:,} held; {released:,} released and {confirmed:,} confirmed of {n_b:,}"))
        escrow, = q("SELECT count(*) FROM ledger_account WHERE kind = 'escrow' AND owner_id BETWEEN %(os)s + 1 AND %(o1)s AND balance <> 0")
        check(("escrow of the refunded orders emptied (refund + release)", escrow == 0, f"{escrow:,} not at 0"))
    t0 = time.perf_counter()
    proc = subprocess.run([common.PY, "-m", "kadun.cli", "ledger-check"], cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=1800)
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
    check(("kadun ledger-check (platform_check) exit 0", proc.returncode == 0, f"exit {proc.returncode} in {time.perf_counter() - t0:.0f} s: {tail[0]}"))


def profile(admin_url: str, tmpl: str, env: dict, info: dict, args, say) -> dict:
    """One sweeper in-process (``kadun shell -c``, bench/sweeper.py's profile) on a fresh copy: CPU
    and SQL statements per case deadline, grouped by statement and table."""
    name = f"{args.db_name}_profile"
    db_url = common.with_dbname(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"')
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            make_due(conn, info)
        n = min(args.profile_n, info["n"])
        say(f"profiling one sweeper in-process over {n:,} case deadlines")
        out = common.kadun(sw.sweeper_env(env, db_url, args.batch), "shell", "-c", sw.PROFILE, extra_env={"BENCH_PROFILE_N": str(n)})
        line = next(line for line in out.splitlines() if line.startswith("BENCH-PROFILE "))
        return json.loads(line.split(" ", 1)[1])
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, name)


def report_sweep(args, info: dict, runs: list[sw.Run], gen_seconds: float) -> None:
    n_a = runs[0].n - round(args.n * args.offer_share) if runs else 0
    print()
    print(f"kadun case sweeper benchmark: N={args.n:,} due case deadlines — {n_a:,} merchants silent 48 h (escalate to the "
          f"platform, SLA clocks start), {args.n - n_a:,} buyers silent 72 h on a partial-refund offer (accepted: refund through "
          f"the ledger, case closed, order released); {args.shops} shops (biggest {args.big_share:.0%}); "
          f"batch {args.batch or 'default (KADUN_SWEEP_BATCH, 500)'}")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']} "
          f"(synchronous_commit={info['synchronous_commit']}), Python {info['python']}, load average at start {info['loadavg']}")
    print(f"data generated in {gen_seconds:.0f} s (template cases through the services, the rest set-based)")
    print()
    header = (f"{'sweepers':>8}{'fired':>9}{'seconds':>9}{'deadlines/s':>13}{'steady/s':>10}{'sweeper CPU ms':>16}{'PG CPU ms':>11}"
              f"{'with follow-ups s':>19}{'load avg':>18}")
    print(header + "   (CPU per case deadline)")
    print("-" * len(header))
    for r in runs:
        cpu = 1000 * r.cpu.get("sweepers", 0) / max(1, r.fired)
        pgc = 1000 * (r.cpu.get("postgres") or 0) / max(1, r.fired)
        note = "  TIMED OUT" if r.timed_out else ""
        print(f"{r.processes:>8}{r.fired:>9,}{r.seconds:>9.1f}{r.rate:>13.1f}{r.steady_rate():>10.1f}{cpu:>16.2f}{pgc:>11.2f}"
              f"{r.cpu.get('all_seconds', 0):>19.1f}{r.loadavg:>18}{note}")
    print("'with follow-ups': until nothing was due any more — the re-armed auto-confirms of the refunded orders and the outbox "
          "(provider refunds, e-mails) included")
    for r in runs:
        print()
        print(f"{r.processes} sweeper(s): checks")
        for label, ok, detail in r.checks:
            print(f"  {'ok    ' if ok else 'FAILED'} {label}: {detail}")
        print("  sweeper logs: " + ", ".join(f"{k} {v}" for k, v in r.log_errors.items()))


def part_sweeper(args, admin_url: str, say) -> None:
    info = common.machine(admin_url)
    tmpl = f"{args.db_name}_tmpl"
    var_dir = None
    runs: list[sw.Run] = []
    try:
        env, var_dir, data, gen_seconds = build_sweeper_template(admin_url, tmpl, args, say)
        for p in [int(x) for x in args.processes.split(",") if x.strip()]:
            run = run_sweep(admin_url, tmpl, env, var_dir, data, p, args, say)
            say(f"  {p} sweeper(s): {run.fired:,} in {run.seconds:.1f} s = {run.rate:.1f}/s; "
                f"checks {'all ok' if all(ok for _, ok, _ in run.checks) else 'FAILED'}")
            runs.append(run)
        prof = profile(admin_url, tmpl, env, data, args, say) if args.profile_n else None
        report_sweep(args, info, runs, gen_seconds)
        if prof:
            sw.report_profile(prof)
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, tmpl)
        if var_dir is not None:
            shutil.rmtree(var_dir, ignore_errors=True)


def pages_for(db_url: str, templates: dict, big_shop: int, long_case: int | None) -> tuple[list, dict, dict]:
    """The pages, with subjects picked from the data: the long-thread case; a case with its
    offer, in the middle of the table, of a logged-in buyer; one of the biggest shop's."""
    from django.urls import reverse

    from kadun.cases.views_cases import CLOSED_PER_PAGE
    from kadun.cases.views_staff import QUEUE_SIZE

    with psycopg.connect(db_url, autocommit=True) as conn:
        in_queue = conn.execute("SELECT count(*) FROM cases_case WHERE status IN ('platform_review', 'appealed')").fetchone()[0]
        closed = conn.execute("SELECT count(*) FROM cases_case WHERE shop_id = %s AND status = 'closed'", (big_shop,)).fetchone()[0]
        mid = conn.execute("SELECT (min(id) + max(id)) / 2 FROM cases_case").fetchone()[0]
        def pick(status: str, cond: str, *params) -> tuple[str, int]:
            """The first such case from the middle of the table on, preferably of a logged-in
            buyer's order with its key (the same shape of subject at every size)."""
            for extra in ("o.buyer_id IS NOT NULL AND EXISTS (SELECT 1 FROM inventory_cardkey k WHERE k.order_id = o.id)",
                          "o.buyer_id IS NOT NULL", "true"):
                row = conn.execute("SELECT x.case_no, o.buyer_id FROM cases_case x JOIN orders_order o ON o.id = x.order_id "
                                   f"WHERE x.status = %s AND {cond} AND {extra} ORDER BY x.id < %s, x.id LIMIT 1", (status, *params, mid)).fetchone()
                if row:
                    return row
            raise SystemExit(f"no {status} case to measure")

        typical, buyer = pick("platform_review", "x.kind NOT IN ('inquiry', 'complaint')")
        shop_case, _ = pick("negotiating", "x.shop_id = %s", big_shop)
        owner = conn.execute("SELECT owner_id FROM merchants_shop WHERE id = %s", (big_shop,)).fetchone()[0]
        long_no, long_buyer = conn.execute(
            "SELECT x.case_no, o.buyer_id FROM cases_case x JOIN orders_order o ON o.id = x.order_id WHERE x.id = %s", (long_case or 0,)
        ).fetchone() or (typical, buyer)
        long_n = conn.execute("SELECT count(*) FROM cases_casemessage m JOIN cases_case x ON x.id = m.case_id WHERE x.case_no = %s",
                              (long_no,)).fetchone()[0]
        # The merchant's oldest page of closed cases, as its keyset link ("older than id ...") reaches it.
        oldest_before = (conn.execute("SELECT id FROM cases_case WHERE shop_id = %s AND status = 'closed' ORDER BY id OFFSET %s LIMIT 1",
                                      (big_shop, CLOSED_PER_PAGE)).fetchone() or (1,))[0]
    queue = reverse("cases:staff_queue")
    last_queue = max(1, -(-in_queue // QUEUE_SIZE))
    pages = [
        pg.Page("staff queue, page 1", "staff", queue),
        pg.Page("staff queue, kind=key_problem", "staff", queue + "?kind=key_problem"),
        pg.Page("staff queue, breached", "staff", queue + "?breached=1"),
        pg.Page("staff queue, last page", "staff", queue + f"?page={last_queue}"),
        pg.Page("staff case page, long thread", "staff", reverse("cases:staff_case", args=[long_no])),
        pg.Page("staff case page", "staff", reverse("cases:staff_case", args=[typical])),
        pg.Page("buyer's case page", "buyer", reverse("cases:case", args=[typical])),
        pg.Page("buyer's case page, long thread", "long_buyer", reverse("cases:case", args=[long_no])),
        pg.Page("merchant case list (biggest shop)", "merchant", reverse("cases:merchant_list")),
        pg.Page("merchant case list, closed, oldest page", "merchant", reverse("cases:merchant_list") + f"?before={oldest_before}"),
        pg.Page("merchant case page", "merchant", reverse("cases:merchant_case", args=[shop_case])),
    ]
    facts = {"queue": in_queue, "queue_pages": last_queue, "shop_closed": closed, "closed_pages": max(1, -(-closed // CLOSED_PER_PAGE)), "long_thread": long_n}
    return pages, {"staff": templates["staff"], "buyer": buyer, "long_buyer": long_buyer, "merchant": owner}, facts


def shapes(pages: list, who: dict) -> dict[str, list[str]]:
    """Per page, the table each SQL query reads first (to say where a count differs between sizes)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kadun.accounts.models import User

    out = {}
    for page in pages:
        client = Client()
        if page.who != "anonymous":
            client.force_login(User.objects.get(pk=who[page.who]))
        client.get(page.url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(page.url)
        out[page.label] = [(re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', q["sql"]) or re.search(r"(\w+)", q["sql"])).group(1)
                           for q in ctx.captured_queries]
    return out


def counts(db_url: str) -> dict[str, int]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        out = dict(conn.execute("SELECT status, count(*) FROM cases_case GROUP BY status").fetchall())
        for table in ("cases_casemessage", "cases_caseevent", "cases_slaclock", "cases_caseoffer", "orders_order"):
            out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        out["breached"] = conn.execute(
            "SELECT count(DISTINCT case_id) FROM cases_slaclock s JOIN cases_case x ON x.id = s.case_id "
            "WHERE s.breached_at IS NOT NULL AND x.status IN ('platform_review', 'appealed')").fetchone()[0]
    return out


def report_pages(args, info: dict, runs: list, db_url: str) -> None:
    print()
    print(f"kadun case pages: {args.products:,} products in {args.shops} shops (biggest shop {args.big_share:.0%} of the orders), "
          f"{args.buyers:,} buyers; cases on {args.case_share:.0%} of the orders; {args.requests} timed requests per page, one at a "
          "time, in-process (Django test client)")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']}, Python {info['python']}, "
          f"load average at start {info['loadavg']}")
    for size, _results, load, seconds, rows in runs:
        open_ = sum(v for k, v in rows.items() if k in data.STATUS.values() and k != "closed")
        print(f"  {size:,} cases ({rows['orders_order']:,} orders): generated in {seconds:.0f} s; {open_:,} open, "
              f"{rows.get('platform_review', 0) + rows.get('appealed', 0):,} with the platform ({rows['breached']:,} breached), "
              f"{rows['cases_casemessage']:,} messages, {rows['cases_caseevent']:,} events, {rows['cases_slaclock']:,} SLA clocks, "
              f"{rows['cases_caseoffer']:,} offers; load average when measured {load}")
        print(f"    staff queue {rows['queue']:,} cases = {rows['queue_pages']} pages; biggest shop {rows['shop_closed']:,} closed cases = "
              f"{rows['closed_pages']} pages; long thread {rows['long_thread']} messages")
    print()
    print("per page and data size: wall p50 / p99 ms, this process's CPU p50 ms, SQL queries, SQL ms (of the counted request), HTTP status")
    header = f"{'page':<40}" + "".join(f"{f'{size:,} cases':>44}" for size, *_ in runs)
    print(header)
    print(f"{'':<40}" + f"{'p50 / p99    CPU  queries  SQL  HTTP':>44}" * len(runs))
    print("-" * len(header))
    for i, first in enumerate(runs[0][1]):
        cells = ""
        for _, results, *_ in runs:
            r = results[i]
            flag = "*" if r.p99 >= TARGET_MS else " "
            cells += f"{r.p50:>13.1f} /{r.p99:>6.1f}{flag}{r.cpu50:>6.1f}{r.queries:>8}{r.sql_ms:>6.1f}{r.status:>5}"
        print(f"{first.page.label:<40}{cells}")
    print(f"* p99 >= target {TARGET_MS:.0f} ms")
    for size, results, *_ in runs:
        for r in results:
            slow = sum(1 for t in r.times if 1000 * t >= TARGET_MS)
            if slow:
                print(f"  {size:,} cases, {r.page.label}: {slow} request(s) of {len(r.times)} over {TARGET_MS:.0f} ms, "
                      f"{r.gc_slow} of them during a garbage collection of 10 ms or more (longest {r.gc_max_ms:.0f} ms)")
    grew = [r.page.label for r, s in zip(runs[-1][1], runs[0][1], strict=True) if r.queries != s.queries]
    print("query counts: " + ("the same at every size" if not grew else "differ on " + ", ".join(grew)))
    for label in grew:
        a, b = runs[0][4]["shapes"][label], runs[-1][4]["shapes"][label]
        diff = [line for line in difflib.unified_diff(a, b, lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        print(f"  {label}: {len(a)} → {len(b)} queries; tables read: {' '.join(diff)} (a different subject: its order has other rows)")
    print()
    size, results, *_ = runs[-1]
    print(f"slowest query per page at {size:,} cases (ms)")
    for r in results:
        t, sql = r.slowest
        print(f"  {r.page.label:<40}{t:>7.1f}  {' '.join(sql.split())[:150]}")
    if args.explain:
        seen = set()
        for r in results:
            t, sql = r.slowest
            if r.p99 < TARGET_MS or not sql or sql in seen or t < args.explain_ms:
                continue
            seen.add(sql)
            print(f"\nEXPLAIN ANALYZE, slowest query of '{r.page.label}' ({t:.1f} ms):")
            print("  " + " ".join(sql.split())[:1500])
            print("  " + pg.explain(db_url, sql).replace("\n", "\n  "))


def part_pages(args, admin_url: str, say) -> None:
    sizes = [int(x) for x in args.cases.split(",")]
    info = common.machine(admin_url)
    var_dir = None
    runs = []
    try:
        db_url, env, var_dir, templates, _ = gen.prepare(admin_url, args.db_name, say)
        say("writing template cases through the services")
        ct = data.seed_cases(env, templates)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "kadun.settings"
        import django

        django.setup()
        from django.db import connections

        with psycopg.connect(db_url) as conn:
            g = gen.Generator(conn, templates, say)
            g.people(shops=args.shops, buyers=args.buyers)
            g.catalog(products=args.products, keys_per_product=2)
            made = data.PageCases(g, ct, staff_id=templates["staff"])
            horizon = round(sizes[-1] / args.case_share)
            cases_so_far = 0
            for size in sizes:
                t0 = time.perf_counter()
                orders = round(size / args.case_share) - g.w.orders
                say(f"generating {orders:,} more orders and {size - cases_so_far:,} cases on them (up to {size:,} cases)")
                first, last = g.orders(orders, mix=gen.PAGES_MIX, big_share=args.big_share, seconds_apart=31.5,
                                       end_offset_s=2 * 86400, horizon=horizon)
                g.order_rows(first, last, key_every=10, events=True, trades=True)
                paths = made.generate(first, last, size - cases_so_far, long_thread=args.long_thread)
                say("  paths: " + ", ".join(f"{k} {v:,}" for k, v in paths.items()))
                cases_so_far = size
                g.finish()
                seconds = time.perf_counter() - t0
                connections.close_all()
                pages, who, facts = pages_for(db_url, templates, g.w.shop_ids[0], made.long_case)
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                say(f"measuring at {size:,} cases (load average {load})")
                results = pg.measure(pages, who, warmup=args.warmup, requests=args.requests, say=say)
                runs.append((size, results, load, seconds, {**counts(db_url), **facts, "shapes": shapes(pages, who)}))
        report_pages(args, info, runs, db_url)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        if not args.keep_db:
            common.drop_database(admin_url, args.db_name)
        if var_dir is not None:
            shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("sweeper", "pages", "all"), default="all")
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--big-share", type=float, default=0.2, help="share of the orders in the biggest shop (default 0.2)")
    parser.add_argument("--keep-db", action="store_true")
    s = parser.add_argument_group("--part sweeper")
    s.add_argument("--n", type=int, default=20_000, help="due case deadlines (default 20,000)")
    s.add_argument("--offer-share", type=float, default=0.5, help="share of them on an open offer (default 0.5)")
    s.add_argument("--processes", default="1,2", help="sweeper process counts, one after the other (default 1,2)")
    s.add_argument("--batch", type=int, default=None, help="KADUN_SWEEP_BATCH for the sweepers (default: the app's)")
    s.add_argument("--max-seconds", type=float, default=3600)
    s.add_argument("--profile-n", type=int, default=1000, help="case deadlines fired in-process for the per-deadline profile (0: skip)")
    p = parser.add_argument_group("--part pages")
    p.add_argument("--cases", default="10000,100000", help="case counts to measure at, ascending (default 10000,100000)")
    p.add_argument("--case-share", type=float, default=0.1, help="cases per generated order (default 0.1)")
    p.add_argument("--products", type=int, default=10_000)
    p.add_argument("--buyers", type=int, default=10_000)
    p.add_argument("--long-thread", type=int, default=80, help="messages on the long-thread case (default 80)")
    p.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--no-explain", dest="explain", action="store_false")
    p.add_argument("--explain-ms", type=float, default=10.0)
    args = parser.parse_args()
    admin_url = common.admin_url_from_env()
    say = common.sayer()
    if args.part in ("sweeper", "all"):
        args.db_name = "kadun_bench2_case_sweep"
        part_sweeper(args, admin_url, say)
    if args.part in ("pages", "all"):
        args.db_name = "kadun_bench2_case_pages"
        part_pages(args, admin_url, say)
    say("done")


if __name__ == "__main__":
    main()
