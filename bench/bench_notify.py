"""Payment notifications handled per second, and p99, for WeChat Pay v3 and USDT (epusdt).

Each notification is built by the offline fake gateway exactly as the real one builds it (WeChat:
JSON envelope, resource encrypted with AES-256-GCM, RSA-2048 signature over the Wechatpay-*
headers; epusdt: MD5-signed JSON) and handed to kadun's notify view through Django's test client
in this process: the whole path is timed — signature verification, AES-GCM decryption, the nonce's
INSERT, the payment's conditional update, the ledger entry, the evidence fact and the key's
delivery, in one transaction. A second figure times verification alone (RSA verify + AES-GCM
decrypt, no database). One thread, a SQLite database of its own in a temporary directory (or
``DATABASE_URL``); nothing asserts, it prints.

    .venv/bin/python bench/bench_notify.py [--n 300]
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
sys.path.insert(0, str(ROOT))  # this worktree's kadun, not an installed one


def setup(var_dir: str) -> None:
    os.environ["KADUN_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kadun.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def seed(n: int, provider: str):
    from kadun.accounts.services import user_create
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create
    from kadun.orders.services import order_create

    shop = shop_create(owner=user_create(username=f"bench-{provider}", password="bench-pw-123456"), name=f"压测店{provider}")
    shop_preapprove(shop_id=shop.pk)
    shop.refresh_from_db()
    product = product_create(shop=shop, data={"title": f"压测商品{provider}", "price": 1990, "delivery": "auto", "category": "game_card"})
    keys_import(product=product, lines=[(i + 1, f"BENCH-{provider}-{i:06d}") for i in range(n)], source="bench")
    return [order_create(product_id=product.pk, quantity=1, provider=provider, contact="b@example.com", query_password="chaxun123",
                         confirm_no_reason_exclusion=True)[0] for _ in range(n)]


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label:<44} n={len(times):>5}  {len(times) / sum(times):>8.0f}/s  p50 {statistics.median(times) * 1000:6.2f} ms"
          f"  p99 {p99 * 1000:6.2f} ms")


def bench_wechat(n: int) -> None:
    from django.conf import settings
    from django.test import Client

    from kadun.core import clock
    from kadun.payments.providers import wechatpay
    from kadun.payments.providers.base import NotifyRequest
    from kadun.payments.tests.fakes import wechat as fake

    gateway = fake.FakeWechat()
    fake.configure(settings, base_url=gateway.url)
    try:
        orders = seed(n, "wechatpay")
        notes = []
        for order in orders:
            gateway.pay(order.payment.out_trade_no)
            notes.append(gateway.notification(order.payment.out_trade_no, timestamp=int(clock.now().timestamp())))
        verify = []
        for body, headers in notes:
            start = time.perf_counter()
            wechatpay.provider.verify_request(NotifyRequest(method="POST", headers=headers, body=body, params={}))
            verify.append(time.perf_counter() - start)
        report("WeChat verify only (RSA + AES-GCM)", verify)
        client, handled = Client(), []
        for body, headers in notes:
            start = time.perf_counter()
            response = client.post("/pay/notify/wechatpay/", data=body, content_type="application/json", headers=headers)
            handled.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
        report("WeChat notification handled (paid+delivered)", handled)
    finally:
        gateway.close()


def bench_epusdt(n: int) -> None:
    from django.conf import settings
    from django.test import Client

    from kadun.payments.tests.fakes import epusdt as fake

    service = fake.FakeEpusdt()
    fake.configure(settings, base_url=service.url)
    try:
        bodies = [service.callback(order.payment.out_trade_no) for order in seed(n, "epusdt")]
        client, handled = Client(), []
        for body in bodies:
            start = time.perf_counter()
            response = client.post("/pay/notify/epusdt/", data=body, content_type="application/json")
            handled.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
        report("USDT (epusdt) callback handled (paid+deliv.)", handled)
    finally:
        service.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    os.environ["KADUN_PAYMENT_PROVIDERS"] = "wallet,wechatpay,epusdt"
    with tempfile.TemporaryDirectory(prefix="kadun-bench-notify-") as var_dir:
        setup(var_dir)
        import logging

        logging.getLogger("kadun").setLevel(logging.WARNING)  # one INFO line per notification otherwise
        from django.db import connection

        print(f"database: {connection.vendor}; {args.n} notifications per provider, one thread")
        bench_wechat(args.n)
        bench_epusdt(args.n)


if __name__ == "__main__":
    main()
