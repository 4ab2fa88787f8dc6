"""Payment notifications per second and p99 for Alipay (RSA2 verification with Alipay's public
key) and 易支付 (MD5 + the query-back ``api.php?act=order`` to a panel), in process, against the
offline fakes (kadun/payments/tests/fakes_*.py) on 127.0.0.1.

For each provider, N orders are checked out and paid at the fake; then, one at a time:

- ``verify``  the provider's ``verify_notification`` alone (Alipay: one RSA-2048 verify;
              易支付: MD5, a payment lookup and one HTTP query-back to the local panel);
- ``handle``  ``payments.services.notification_handle``: verify + the payment's conditional
              update, the ledger entry, the evidence row and the key's delivery, one transaction;
- ``replay``  the same notifications again (absorbed as duplicates).

A fresh SQLite database under a temporary directory unless DATABASE_URL is set (then
``--db-name`` on that server is dropped and created). Nothing asserts but exactly-once:

    .venv/bin/python bench/bench_notify_alipay_epay.py [--n 300]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, items) -> tuple[float, float, float]:
    """(per second, p50 ms, p99 ms) of fn(item) over items."""
    laps, start = [], time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        laps.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - start
    return len(items) / total, statistics.median(laps), pct(laps, 99)


def configure(args) -> tuple:
    from kadun.payments.tests import fakes_alipay

    ali = fakes_alipay.FakeAlipay()
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "kadun.settings", "KADUN_VAR_DIR": tempfile.mkdtemp(prefix="bench-gw-"),
        "KADUN_PAYMENT_PROVIDERS": "alipay,epay,wallet", "KADUN_GENERATED_SECRETS": "1",
        "KADUN_ALIPAY_APP_ID": fakes_alipay.APP_ID, "KADUN_ALIPAY_SELLER_ID": fakes_alipay.SELLER_ID,
        "KADUN_ALIPAY_PRIVATE_KEY": ali.app_private, "KADUN_ALIPAY_PUBLIC_KEY": ali.alipay_public, "KADUN_ALIPAY_GATEWAY": ali.gateway,
    })
    if os.environ.get("DATABASE_URL"):
        import psycopg

        base = os.environ["DATABASE_URL"]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}"')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
        os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + args.db_name
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from django.conf import settings

    from kadun.payments.tests import fakes_epay  # imports the epay provider: after setup

    ep = fakes_epay.FakeEpay()
    settings.KADUN_EPAY_PID, settings.KADUN_EPAY_KEY, settings.KADUN_EPAY_API_BASE = fakes_epay.PID, fakes_epay.KEY, ep.base
    return ali, ep


def run(provider: str, fake, n: int) -> dict:
    from conftest import buy, make_product
    from kadun.ledger.models import JournalEntry
    from kadun.payments import providers
    from kadun.payments.services import notification_handle

    product = make_product(keys=n, price=1010)
    notes = []
    for _ in range(n):
        order, _t, pay_url = buy(product, provider=provider)
        fake.open(pay_url)
        fake.pay(order.payment.out_trade_no)
        notes.append(fake.notification(order.payment.out_trade_no))
    impl = providers.get(provider)
    result = {"verify": timed(impl.verify_notification, notes)}
    outcomes = []
    result["handle"] = timed(lambda p: outcomes.append(notification_handle(provider=provider, params=p)), notes)
    result["replay"] = timed(lambda p: outcomes.append(notification_handle(provider=provider, params=p)), notes)
    payments = JournalEntry.objects.filter(kind="payment", memo__startswith=provider).count()
    result["exactly_once"] = outcomes.count("delivered") == n and outcomes.count("duplicate") == n and payments == n
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--db-name", default="kadun_bench_gw_notify")
    args = parser.parse_args()
    ali, ep = configure(args)
    from django.db import connection

    print(f"database: {connection.vendor}; n = {args.n} per provider; python {sys.version.split()[0]}")
    print("| provider | step | per second | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for name, fake in (("alipay", ali), ("epay", ep)):
        result = run(name, fake, args.n)
        for step in ("verify", "handle", "replay"):
            rate, p50, p99 = result[step]
            print(f"| {name} | {step} | {rate:,.0f} | {p50:.2f} | {p99:.2f} |")
        print(f"| {name} | exactly once | {'ok' if result['exactly_once'] else 'FAILED'} | | |")
    ali.close()
    ep.close()


if __name__ == "__main__":
    main()
