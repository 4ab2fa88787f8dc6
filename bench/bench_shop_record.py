"""店铺档案 benchmark: the shop page (/s/<id>/, the full record) and a product page (/p/<id>/,
the headline; also the checkout form) at 10,000 shops, 1,000,000 orders and 500,000 reviews on
PostgreSQL — p50 / p99 and query counts — and the recompute that keeps the record rows.

    python bench/bench_shop_record.py [--scale 1.0] [--requests 300] [--keep]

``--scale 0.1`` builds a tenth of everything (1,000 shops, 100,000 orders, 50,000 reviews).
Builds its own database (``bench_record`` on DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432/postgres) with ``INSERT … SELECT generate_series``: verified
shops open 1–720 days, one product each, orders paid over the last 120 days (all confirmed, 5 %
partly refunded), reviews on half of the orders over the last 365 days (10 % of 1–2 stars), and
12 score changes per shop (the chart). Then the nightly run (score + record of every shop,
timed), then the pages through Django's test client (in process: no network, the template and
the queries are what is timed). Figures go to docs/performance.md, "Shop record"."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from credit_score import _drop, _setup  # noqa: E402  (the same throwaway database set-up)


def _build(shops: int, orders: int, reviews: int) -> None:
    from django.db import connection

    from kadun.core import clock

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM reputation_review")
        if c.fetchone()[0] >= reviews:
            return
        now = clock.now()
        c.execute("TRUNCATE reputation_shoprecord, catalog_refundpolicy, reputation_review, reputation_scoredirty, reputation_scorehistory, "
                  "reputation_shopscore, orders_order, catalog_product, merchants_shop, accounts_user RESTART IDENTITY CASCADE")
        c.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                     date_joined, staff_role, contact)
                     SELECT '!', false, 'bench' || i, '', '', '', false, true, %s, '', '' FROM generate_series(1, %s) i""", [now, shops])
        c.execute("""INSERT INTO merchants_shop (owner_id, name, description, is_active, created_at, selling_blocks, verified_at,
                     categories_approved)
                     SELECT id, 'shop' || id, '', true, %s - (id %% 720 + 1) * interval '1 day', 0, %s - (id %% 720) * interval '1 day',
                            '["game_card", "other"]' FROM accounts_user""", [now, now])
        c.execute("""INSERT INTO catalog_product (shop_id, title, description, category, delivery, price, inspection_hours, max_per_order,
                     buyer_fields, is_active, checker, created_at, updated_at, comparable_key)
                     SELECT id, 'p' || id, '', 'game_card', 'auto', 1000, 24, 10, '[]', true, '{}', %s, %s, '' FROM merchants_shop""", [now, now])
        import json

        from kadun.catalog.policies import default_rules

        c.execute("INSERT INTO catalog_refundpolicy (product_id, version, rules, created_at) SELECT id, 1, %s, %s FROM catalog_product",
                  [json.dumps(default_rules("auto")), now])
        c.execute("""INSERT INTO orders_order (order_no, contact, query_password, access_token_hash, shop_id, product_id, title, delivery,
                     quantity, unit_price, amount, fee, refunded_amount, inspection_hours, buyer_inputs, status, delivery_note, delivery_image,
                     policy_snapshot, policy_hash, no_reason_waived, refund_hold, milestone, created_at, expires_at, paid_at, delivered_at,
                     confirmed_at, checkout_warnings)
                     SELECT 'B' || i, '', '', md5(i::text), p.shop_id, p.id, 'p', 'auto', 1, 1000, 1000, 20,
                            CASE WHEN i %% 20 = 0 THEN 500 ELSE 0 END, 24, '{}', 'confirmed', '', '', '{"rules": {}}', '', false, false, 0,
                            t.paid, t.paid, t.paid, t.paid, t.paid + interval '1 day', '[]'
                     FROM generate_series(1, %s) i
                     JOIN catalog_product p ON p.id = 1 + (i::bigint * 7919) %% %s
                     CROSS JOIN LATERAL (SELECT %s - (i %% 120) * interval '1 day' - (i %% 1440) * interval '1 minute' AS paid) t""",
                  [orders, shops, now])
        c.execute("""INSERT INTO reputation_review (order_id, shop_id, product_id, rating, text, image, image_sha256, created_at,
                     followup_text, reply_text, followup_reply_text, hidden_reason, keywords)
                     SELECT o.id, o.shop_id, o.product_id, CASE WHEN o.id %% 10 = 0 THEN 1 + o.id %% 2 ELSE 4 + o.id %% 2 END,
                            CASE WHEN o.id %% 10 = 0 THEN '卡密无效，申请退款被拒' ELSE '好' END, '', '',
                            %s - (o.id %% 365) * interval '1 day', '', '', '', '',
                            CASE WHEN o.id %% 10 = 0 THEN '["卡密无效", "退款被拒"]' ELSE '[]' END::jsonb
                     FROM orders_order o WHERE o.id %% 2 = 0 AND o.id <= %s""", [now, 2 * reviews])
        c.execute("""INSERT INTO reputation_scorehistory (shop_id, score, provisional, components, reason, at)
                     SELECT s.id, 600 + (s.id * 7 + k * 13) %% 300, false, '{}', 'nightly', %s - k * interval '7 days'
                     FROM merchants_shop s CROSS JOIN generate_series(1, 12) k""", [now])
        c.execute("ANALYZE")


def _time_pages(label: str, urls: list[str], client) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls[:20]:  # warm-up: template loading, connection
        client.get(url)
    times, cpu, queries = [], [], set()
    for url in urls:
        c0, t = time.thread_time(), time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    for url in urls[:20]:  # counted apart: capturing queries costs time of its own
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries.add(len(ctx.captured_queries))
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label}: {len(times)} requests, p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, "
          f"max {times[-1]:.1f} ms, CPU p50 {statistics.median(cpu):.1f} ms, queries per request {sorted(queries)}")
    return {"p50": statistics.median(times), "p99": p99, "queries": sorted(queries)}


def _time_record_parts(shop_ids: list[int]) -> None:
    """What the record adds to each page: its template tag (reads + rendering) alone."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    from kadun.reputation.templatetags.record import shop_record, shop_record_headline

    for label, tag, template in (("record on the shop page", shop_record, "reputation/_record.html"),
                                 ("headline on the product page", shop_record_headline, "reputation/_record_headline.html")):
        times = []
        for sid in shop_ids:
            t = time.perf_counter()
            render_to_string(template, tag(sid))
            times.append((time.perf_counter() - t) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            render_to_string(template, tag(shop_ids[0]))
        times.sort()
        print(f"  {label} (tag + template): p50 {statistics.median(times):.1f} ms, "
              f"p99 {times[min(len(times) - 1, int(len(times) * 0.99))]:.1f} ms, {len(ctx.captured_queries)} queries")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="of 10,000 shops, 1,000,000 orders, 500,000 reviews")
    ap.add_argument("--requests", type=int, default=300, help="per page")
    ap.add_argument("--db", default="bench_record")
    ap.add_argument("--skip-recompute", action="store_true", help="records already computed (a --keep run)")
    ap.add_argument("--keep", action="store_true", help="keep the database for the next run")
    args = ap.parse_args()
    shops, orders, reviews = int(10_000 * args.scale), int(1_000_000 * args.scale), int(500_000 * args.scale)
    _setup(args.db)
    t = time.perf_counter()
    _build(shops, orders, reviews)
    print(f"data: {shops} shops, {orders} orders, {reviews} reviews ready in {time.perf_counter() - t:.1f} s")

    from django.test import Client

    from kadun.reputation import services
    from kadun.reputation.models import ShopRecord

    if not args.skip_recompute:
        t = time.perf_counter()
        n = services.scores_recompute_all(reason="nightly")
        full = time.perf_counter() - t
        print(f"nightly run (score + record): {n} shops in {full:.1f} s ({full / max(1, n) * 1000:.2f} ms per shop)")
        from kadun.merchants.selectors_penalties import shop_ids_chunks
        from kadun.reputation.services_record import records_recompute

        t, n = time.perf_counter(), 0
        for ids in shop_ids_chunks(500):
            n += records_recompute(shop_ids=ids)
        alone = time.perf_counter() - t
        print(f"  of which the record alone (records_recompute, chunks of 500): {n} shops in {alone:.1f} s "
              f"({alone / max(1, n) * 1000:.2f} ms per shop)")
    print(f"record rows: {ShopRecord.objects.count()}")
    rng = random.Random(12)
    picks = [rng.randint(1, shops) for _ in range(args.requests)]
    client = Client()
    _time_pages("shop page /s/<id>/", [f"/s/{sid}/" for sid in picks], client)
    _time_pages("product page /p/<id>/", [f"/p/{sid}/" for sid in picks], client)  # product id = shop id in this data
    _time_record_parts(picks)
    _time_pages("api /api/shops/<id>/record", [f"/api/shops/{sid}/record" for sid in picks], client)
    if not args.keep:
        _drop(args.db)


if __name__ == "__main__":
    main()
