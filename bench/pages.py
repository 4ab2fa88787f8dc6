"""Page latency at scale: p50 / p99 and SQL queries of the main pages, at two data sizes.

1. creates a database of its own (dropped first and at the end), migrates it and writes the
   template rows through the services, then generates with set-based SQL (``bench/generate.py``)
   ``--shops`` shops (the biggest with ``--big-share`` of the orders), ``--buyers`` buyers,
   ``--products`` products with ``--stock`` keys each in stock, and orders (mostly confirmed or
   delivered; every ``--key-every``-th delivered/confirmed order with its sold key; payment,
   sandbox trade and events for every order) with refund requests on ``--refund-share`` of
   them (1 % of the requests open, waiting for the merchant);
2. for each size in ``--sizes`` (default 100,000 then 1,000,000 orders, the second made by
   appending newer orders) it runs ``VACUUM ANALYZE`` and then requests each page in-process
   with Django's test client (settings unchanged, no HTTP server): ``--warmup`` requests, then
   ``--requests`` timed ones, one at a time, and one more inside ``CaptureQueriesContext`` to
   count SQL queries and find the slowest;
3. for every page whose p99 misses the target (100 ms) it prints ``EXPLAIN (ANALYZE, BUFFERS)``
   of that page's slowest query; and per page the longest garbage collection of Python's
   collector during a timed request, and how many requests over the target had one of 10 ms+.

The pages: the storefront ``/`` (page 1 and a deep page), a product page, an order page (the
order's logged-in buyer), the merchant order list and refund queue of the biggest shop (page 1,
a deep page of the order list, the queue with closed requests), and the staff order list (first
page, a status filter, a search by order number, a deep keyset page).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pages.py \\
        [--sizes 100000,1000000] [--requests 50] [--keep-db]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import purchase as common  # noqa: E402

TARGET_MS = 100.0


@dataclass
class Page:
    label: str
    who: str  # anonymous / buyer / merchant / staff
    url: str


@dataclass
class Result:
    page: Page
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    queries: int = 0
    sql_ms: float = 0.0
    slowest: tuple[float, str] = (0.0, "")
    status: int = 0
    bytes: int = 0
    gc_max_ms: float = 0.0  # longest garbage collection during the timed requests
    gc_slow: int = 0  # timed requests over the target that had a collection of 10 ms or more

    @property
    def p50(self) -> float:
        return 1000 * common.pct(self.times, 50)

    @property
    def p99(self) -> float:
        return 1000 * common.pct(self.times, 99)

    @property
    def cpu50(self) -> float:
        return 1000 * common.pct(self.cpu, 50)


def pages_for(db_url: str, templates: dict, world: gen.World) -> tuple[list[Page], dict]:
    """The pages to measure, with subjects picked from the data: the biggest shop, a buyer's order
    with its key, an order number in the middle of the table, deep pages."""
    big_shop = world.shop_ids[0]
    with psycopg.connect(db_url, autocommit=True) as conn:
        owner = conn.execute("SELECT owner_id FROM merchants_shop WHERE id = %s", (big_shop,)).fetchone()[0]
        mid = conn.execute("SELECT (min(id) + max(id)) / 2 FROM orders_order WHERE id >= %s", (world.order_first,)).fetchone()[0]
        order_id, order_no, buyer = conn.execute(
            "SELECT o.id, o.order_no, o.buyer_id FROM orders_order o JOIN inventory_cardkey k ON k.order_id = o.id "
            "WHERE o.id >= %s AND o.buyer_id IS NOT NULL AND o.status = 'confirmed' "
            "AND NOT EXISTS (SELECT 1 FROM aftersales_refundrequest r WHERE r.order_id = o.id) ORDER BY o.id LIMIT 1", (mid,)
        ).fetchone()
        product = conn.execute("SELECT product_id FROM orders_order WHERE id = %s", (order_id,)).fetchone()[0]
        searched = conn.execute("SELECT order_no FROM orders_order WHERE id >= %s ORDER BY id LIMIT 1", (mid + 7,)).fetchone()[0]
        products = conn.execute("SELECT count(*) FROM catalog_product WHERE is_active").fetchone()[0]
        # The middle of the merchant's lists, as the keyset link ("older than id ...") from a page there.
        shop_mid = conn.execute("SELECT (min(id) + max(id)) / 2 FROM orders_order WHERE shop_id = %s", (big_shop,)).fetchone()[0]
        refund_mid = conn.execute(
            "SELECT (min(r.id) + max(r.id)) / 2 FROM aftersales_refundrequest r JOIN orders_order o ON o.id = r.order_id WHERE o.shop_id = %s",
            (big_shop,)).fetchone()[0] or 1
    deep_store = max(1, (products // 24) * 9 // 10)
    pages = [
        Page("storefront /", "anonymous", "/"),
        Page(f"storefront /?page={deep_store}", "anonymous", f"/?page={deep_store}"),
        Page("product page", "anonymous", f"/p/{product}/"),
        Page("order page (its buyer)", "buyer", f"/orders/{order_no}/"),
        Page("merchant orders, page 1", "merchant", "/merchant/orders/"),
        Page("merchant orders, middle", "merchant", f"/merchant/orders/?before={shop_mid}"),
        Page("merchant refund queue", "merchant", "/merchant/refunds/"),
        Page("merchant refunds, all", "merchant", "/merchant/refunds/?all=1"),
        Page("merchant refunds, all, middle", "merchant", f"/merchant/refunds/?all=1&before={refund_mid}"),
        Page("staff orders", "staff", "/staff/"),
        Page("staff orders, status=refunded", "staff", "/staff/?status=refunded"),
        Page("staff orders, search order no", "staff", f"/staff/?q={searched}"),
        Page("staff orders, deep page", "staff", f"/staff/?before={mid}"),
    ]
    who = {"buyer": buyer, "merchant": owner, "staff": templates["staff"]}
    return pages, who


def measure(pages: list[Page], who: dict, *, warmup: int, requests: int, say) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kadun.accounts.models import User

    import gc

    pauses: list[float] = []
    started: dict = {}

    def on_gc(phase, info):  # how long Python's garbage collector stops the request
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            pauses.append(1000 * (time.perf_counter() - started.pop("t")))

    gc.callbacks.append(on_gc)
    clients = {"anonymous": Client()}
    for role, user_id in who.items():
        c = Client()
        c.force_login(User.objects.get(pk=user_id))
        clients[role] = c
    results = []
    for page in pages:
        client = clients[page.who]
        r = Result(page)
        for _ in range(warmup):
            response = client.get(page.url)
        r.status, r.bytes = response.status_code, len(response.content)
        for _ in range(requests):
            pauses.clear()
            c0, t0 = time.thread_time(), time.perf_counter()
            client.get(page.url)
            r.times.append(time.perf_counter() - t0)
            r.cpu.append(time.thread_time() - c0)
            longest = max(pauses, default=0.0)
            r.gc_max_ms = max(r.gc_max_ms, longest)
            if r.times[-1] * 1000 >= TARGET_MS and longest >= 10:
                r.gc_slow += 1
        with CaptureQueriesContext(connection) as ctx:
            client.get(page.url)
        r.queries = len(ctx.captured_queries)
        timed = [(float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries]
        r.sql_ms = sum(t for t, _ in timed)
        r.slowest = max(timed, default=(0.0, ""))
        say(f"    {page.label:<36} p50 {r.p50:7.1f} ms  p99 {r.p99:7.1f} ms  CPU p50 {r.cpu50:6.1f} ms  "
            f"{r.queries:>3} queries, SQL {r.sql_ms:5.1f} ms  (HTTP {r.status}, {r.bytes:,} bytes)  "
            f"longest GC {r.gc_max_ms:.0f} ms, slow requests with GC >= 10 ms: {r.gc_slow}")
        results.append(r)
    return results


def explain(db_url: str, sql: str) -> str:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()
    return "\n".join(r[0] for r in rows)


def report(args, info: dict, runs: list[tuple[int, list[Result], float]], db_url: str, gen_seconds: list[float]) -> None:
    print()
    print(f"kadun page latency: {args.products:,} products in {args.shops} shops (biggest shop {args.big_share:.0%} of the orders), "
          f"{args.buyers:,} buyers; refund requests on {args.refund_share:.0%} of the orders; "
          f"{args.requests} timed requests per page, one at a time, in-process (Django test client)")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']}, Python {info['python']}, "
          f"load average at start {info['loadavg']}")
    for (size, _results, load), seconds in zip(runs, gen_seconds, strict=True):
        print(f"  {size:,} orders: generated in {seconds:.0f} s; load average when measured {load}")
    print()
    print("per page and data size: wall p50 / p99 ms, this process's CPU p50 ms, SQL queries, SQL ms (of the counted request)")
    header = f"{'page':<36}" + "".join(f"{f'{size:,} orders':>40}" for size, _, _ in runs)
    print(header)
    print(f"{'':<36}" + f"{'p50 / p99    CPU  queries  SQL':>40}" * len(runs))
    print("-" * len(header))
    for i, page_result in enumerate(runs[0][1]):
        cells = ""
        for _, results, _ in runs:
            r = results[i]
            flag = "*" if r.p99 >= TARGET_MS else " "
            cells += f"{r.p50:>13.1f} /{r.p99:>6.1f}{flag}{r.cpu50:>6.1f}{r.queries:>8}{r.sql_ms:>6.1f}"
        print(f"{page_result.page.label:<36}{cells}")
    print(f"* p99 >= target {TARGET_MS:.0f} ms")
    for size, results, _ in runs:
        for r in results:
            slow = sum(1 for t in r.times if 1000 * t >= TARGET_MS)
            if slow:
                print(f"  {size:,} orders, {r.page.label}: {slow} request(s) of {len(r.times)} over {TARGET_MS:.0f} ms, "
                      f"{r.gc_slow} of them during a garbage collection of 10 ms or more (longest {r.gc_max_ms:.0f} ms)")
    print()
    size, results, _ = runs[-1]
    print(f"slowest query per page at {size:,} orders (ms)")
    for r in results:
        t, sql = r.slowest
        print(f"  {r.page.label:<36}{t:>7.1f}  {' '.join(sql.split())[:150]}")
    if args.explain:
        seen = set()
        for r in results:
            t, sql = r.slowest
            if r.p99 < TARGET_MS or not sql or sql in seen:
                continue
            if t < args.explain_ms:
                print(f"\n'{r.page.label}' misses the target with SQL {r.sql_ms:.1f} ms of it, no query over {args.explain_ms:.0f} ms: "
                      "the time is spent in Python (view, ORM, template), not in the database")
                continue
            seen.add(sql)
            print()
            print(f"EXPLAIN ANALYZE, slowest query of '{r.page.label}' ({t:.1f} ms):")
            print("  " + " ".join(sql.split())[:1500])
            print("  " + explain(db_url, sql).replace("\n", "\n  "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="order counts to measure at, ascending (default 100000,1000000)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--big-share", type=float, default=0.2, help="share of the orders in the biggest shop (default 0.2)")
    parser.add_argument("--buyers", type=int, default=10_000)
    parser.add_argument("--stock", type=int, default=20, help="keys in stock per product (default 20)")
    parser.add_argument("--key-every", type=int, default=10, help="every k-th delivered/confirmed order gets its sold key (default 10)")
    parser.add_argument("--refund-share", type=float, default=0.1, help="refund requests per order (default 0.1: 100,000 on 1M)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-explain", dest="explain", action="store_false")
    parser.add_argument("--explain-ms", type=float, default=10.0, help="EXPLAIN a missing page's slowest query if it took this long")
    parser.add_argument("--db-name", default="kadun_bench2_pages")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    admin_url = common.admin_url_from_env()
    say = common.sayer()

    info = common.machine(admin_url)
    var_dir = None
    runs = []
    gen_seconds = []
    try:
        db_url, env, var_dir, templates, _ = gen.prepare(admin_url, args.db_name, say)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "kadun.settings"
        import django

        django.setup()
        with psycopg.connect(db_url) as conn:
            g = gen.Generator(conn, templates, say)
            g.people(shops=args.shops, buyers=args.buyers)
            g.catalog(products=args.products, keys_per_product=args.stock)
            catalog_seconds = sum(g.timings.values())
            for size in sizes:
                t0 = time.perf_counter()
                say(f"generating orders up to {size:,}")
                first, last = g.orders(size - g.w.orders, mix=gen.PAGES_MIX, big_share=args.big_share, seconds_apart=31.5,
                                       end_offset_s=2 * 86400, horizon=sizes[-1])
                g.order_rows(first, last, key_every=args.key_every, events=True, trades=True)
                g.refund_requests(int((last - first + 1) * args.refund_share), first=first, last=last)
                g.finish()
                gen_seconds.append(time.perf_counter() - t0 + (catalog_seconds if size == sizes[0] else 0))
                from django.db import connections

                connections.close_all()
                pages, who = pages_for(db_url, templates, g.w)
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                say(f"measuring at {size:,} orders (load average {load})")
                runs.append((size, measure(pages, who, warmup=args.warmup, requests=args.requests, say=say), load))
        report(args, info, runs, db_url, gen_seconds)
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
    say("done")


if __name__ == "__main__":
    main()
