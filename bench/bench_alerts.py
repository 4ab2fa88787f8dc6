"""Abnormal-order alerts (异常订单预警): evaluation throughput of the worker duty on a generated day of
orders, on a fresh PostgreSQL database.

1. a fresh database is created and migrated; shops and products are made through the services;
   a day of ordinary orders (``--orders``, default 1,000,000; many buyer accounts and guest
   contacts, products of uneven popularity, one sold key per unit, ~2 % of orders reported
   卡密无效 twenty minutes later, a few price edits) is bulk-inserted
   (kadun/risk/tests/alert_helpers.py ``ordinary_traffic``), plus a few planted bursts;
2. the duty (``kadun.risk.alerts.alerts_sweep``) runs until it has read everything (timed), and
   the orders/s and refund requests/s are printed with the alerts raised by kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_alerts.py --orders 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from runaway import scratch_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(args) -> int:
    from django.db.models import Count

    from conftest import make_product, make_user
    from kadun.core import clock
    from kadun.risk import alerts
    from kadun.risk.models import RiskAlert
    from kadun.risk.tests import alert_helpers as h

    started = time.perf_counter()
    shops = max(10, args.orders // 1000)
    traffic = h.ordinary_traffic(shops=min(shops, args.max_shops), products_per_shop=5, buyers=max(1000, args.orders // 5),
                                 guests=max(500, args.orders // 20), days=1, orders_per_day=args.orders, price_edits=50)
    planted = make_product()
    h.age_product(planted, 60)
    for _ in range(args.planted):  # bursts that must be found among the ordinary traffic
        buyer = make_user()
        start = clock.now() - dt.timedelta(hours=3)
        h.orders([(planted, start + dt.timedelta(seconds=15 * i), buyer.pk, "", 1) for i in range(25)])
    seeded = time.perf_counter() - started
    print(f"seeded {traffic['orders']:,} ordinary orders + {25 * args.planted} planted in {len(traffic['products'])} products "
          f"in {seeded:.1f}s")

    clock.advance(dt.timedelta(minutes=5))
    t0 = time.perf_counter()
    read = alerts.alerts_sweep(max_batches=10**9)
    elapsed = time.perf_counter() - t0
    from kadun.risk.models import AlertCursor

    cursors = dict(AlertCursor.objects.values_list("source", "last_id"))
    by_kind = dict(RiskAlert.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    print(f"duty read {read:,} facts (orders, 卡密无效 requests, lure flags) in {elapsed:.1f}s "
          f"= {read / elapsed:,.0f} facts/s; batch {os.environ.get('KADUN_ALERT_BATCH', 2000)}")
    orders = traffic["orders"] + 25 * args.planted
    print(f"orders through the duty: {orders / elapsed:,.0f} orders/s (all sources included in the time)")
    print(f"cursors: {cursors}")
    print(f"alerts raised: {by_kind}")
    bursts = by_kind.get("order_burst", 0)
    assert bursts == args.planted, f"planted {args.planted} bursts, found {bursts}"
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the generated day (default 1,000,000)")
    parser.add_argument("--max-shops", type=int, default=1000)
    parser.add_argument("--planted", type=int, default=5, help="planted bursts (25 orders in 6 minutes from one buyer)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    with scratch_database("bench_alerts", keep=args.keep_db):
        return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
