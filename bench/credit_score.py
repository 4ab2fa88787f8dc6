"""Credit score benchmark: a full nightly recompute of every shop, and the incremental recompute
after N events, at 10,000 shops and 1,000,000 orders on PostgreSQL.

    python bench/credit_score.py [--shops 10000] [--orders 1000000] [--events 1000]

Builds its own database (``bench_credit`` on DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432/postgres) with bulk ``INSERT … SELECT generate_series`` rows: users,
shops (open 1–720 days), one product per shop, orders paid over the last 120 days (30 % manual
services, a few delivered late), and breaches (about 2 per shop). Then prints seconds for
``scores_recompute_all`` (the nightly run's work), for ``dirty_recompute`` rounds after N events
spread over N/2 shops, and per shop; drops the database at the end unless ``--keep``. Figures go
to docs/performance.md, "Credit score".
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _server() -> str:
    """The PostgreSQL server of DATABASE_URL (its maintenance database, as the other benches)."""
    url = os.environ.get("BENCH_PG") or os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rsplit("/", 1)[0] if url.count("/") > 2 else url


def _setup(db: str) -> None:
    base = _server()
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
            conn.execute(f'CREATE DATABASE "{db}"')
    os.environ["DATABASE_URL"] = f"{base}/{db}"
    os.environ.setdefault("KADUN_GENERATED_SECRETS", "1")
    os.environ.setdefault("KADUN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kadun.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(shops: int, orders: int) -> None:
    from django.db import connection

    from kadun.core import clock

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM orders_order")
        if c.fetchone()[0] >= orders:
            return
        now = clock.now()
        c.execute("TRUNCATE reputation_scoredirty, reputation_scorehistory, reputation_shopscore, merchants_breach, orders_order, "
                  "catalog_product, merchants_shop, accounts_user RESTART IDENTITY CASCADE")
        c.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                     date_joined, staff_role, contact)
                     SELECT '!', false, 'bench' || i, '', '', '', false, true, %s, '', '' FROM generate_series(1, %s) i""", [now, shops])
        c.execute("""INSERT INTO merchants_shop (owner_id, name, description, is_active, created_at)
                     SELECT id, 'shop' || id, '', true, %s - (id %% 720) * interval '1 day' FROM accounts_user""", [now])
        c.execute("""INSERT INTO catalog_product (shop_id, title, description, category, delivery, price, inspection_hours, max_per_order,
                     buyer_fields, is_active, checker, created_at, updated_at)
                     SELECT id, 'p', '', 'other', CASE WHEN id %% 10 < 3 THEN 'manual' ELSE 'auto' END, 1000, 24, 10, '[]', true, '{}', %s, %s
                     FROM merchants_shop""", [now, now])
        c.execute("""INSERT INTO orders_order (order_no, contact, query_password, access_token_hash, shop_id, product_id, title, delivery,
                     quantity, unit_price, amount, fee, refunded_amount, inspection_hours, buyer_inputs, status, delivery_note, delivery_image,
                     policy_snapshot, policy_hash, no_reason_waived, refund_hold, milestone, created_at, expires_at, paid_at, delivered_at,
                     confirmed_at)
                     SELECT 'B' || i, '', '', md5(i::text), p.shop_id, p.id, 'p', p.delivery, 1, 1000, 1000, 20, 0, 24, '{}', 'confirmed', '',
                            '', '{"rules": {"delivery_deadline_hours": 24}}', '', false, false, 0, t.paid, t.paid, t.paid,
                            t.paid + CASE WHEN i %% 50 = 0 THEN interval '30 hours' ELSE interval '2 hours' END, t.paid + interval '1 day'
                     FROM generate_series(1, %s) i
                     JOIN catalog_product p ON p.id = 1 + (i::bigint * 7919) %% %s
                     CROSS JOIN LATERAL (SELECT %s - (i %% 120) * interval '1 day' AS paid) t""", [orders, shops, now])
        c.execute("""INSERT INTO merchants_breach (shop_id, kind, order_id, note, at)
                     SELECT 1 + (i * 31) %% %s, CASE WHEN i %% 2 = 0 THEN 'service_overdue' ELSE 'refund_no_response' END, NULL, '',
                            %s - (i %% 100) * interval '1 day' FROM generate_series(1, %s) i""", [shops, now, shops * 2])
        c.execute("ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shops", type=int, default=10_000)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=1_000)
    ap.add_argument("--db", default="bench_credit")
    ap.add_argument("--skip-full", action="store_true", help="only the incremental recompute")
    ap.add_argument("--keep", action="store_true", help="keep the database for the next run (the data takes minutes to build)")
    args = ap.parse_args()
    _setup(args.db)
    t = time.perf_counter()
    _build(args.shops, args.orders)
    print(f"data: {args.shops} shops, {args.orders} orders ready in {time.perf_counter() - t:.1f} s")

    from kadun.core import clock
    from kadun.reputation import services
    from kadun.reputation.models import ScoreDirty
    import datetime as dt

    if not args.skip_full:
        t = time.perf_counter()
        n = services.scores_recompute_all()
        full = time.perf_counter() - t
        print(f"full recompute: {n} shops in {full:.1f} s ({full / n * 1000:.2f} ms per shop)")

    # N events over N/2 shops (two per shop: a burst), each one upsert; then the duty's rounds.
    shop_ids = list(range(1, args.shops + 1, max(1, args.shops // max(1, args.events // 2))))[: args.events // 2]
    # The mark is one statement in the event's own transaction: timed inside one transaction, so
    # the figure is the statement's cost, not a commit's.
    from django.db import transaction

    t = time.perf_counter()
    with transaction.atomic():
        for sid in shop_ids:
            services.score_refresh(shop_id=sid)
            services.score_refresh(shop_id=sid)
    marking = time.perf_counter() - t
    clock.advance(dt.timedelta(minutes=1))
    t, rounds, done = time.perf_counter(), 0, 0
    while True:
        k = services.dirty_recompute()
        if not k:
            break
        rounds, done = rounds + 1, done + k
    inc = time.perf_counter() - t
    assert not ScoreDirty.objects.exists()
    print(f"incremental: {2 * len(shop_ids)} events marked {len(shop_ids)} shops in {marking * 1000:.0f} ms "
          f"({marking / (2 * len(shop_ids)) * 1e6:.0f} µs per event); recomputed {done} shops in {rounds} duty rounds, {inc:.2f} s")
    if not args.keep:
        _drop(args.db)


def _drop(db: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    base = _server()
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')


if __name__ == "__main__":
    main()
