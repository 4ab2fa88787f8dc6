"""Runaway disposal (跑路处置) at scale: one shop with N open orders on PostgreSQL, refunded in full
by two sweepers at once; how many seconds, and proof each order was refunded exactly once.

One run:

1. a fresh database is created and migrated; a merchant, a shop, a product and a buyer are made
   through the services, one order is bought through the services (wallet checkout) as the
   template; N orders of the shop are then written in bulk from it (order, payment, the payment's
   journal entry wallet → escrow through ``ledger.services.entries_post``), all delivered;
2. a share of them is confirmed (escrow → pending, ``orders.services.orders_confirm``), half of
   those settled (pending → available, ``orders_settle``), and most of the available balance is
   taken out (a payout), so the last refunds need 先行赔付 from the platform;
3. staff declare 跑路处置 (timed: the jobs and deadlines are written), then two sweeper threads run
   ``deadlines_sweep_all`` at once (timed, from the release of both until both are idle);
4. checks (printed, and asserted): every job refunded, every order refunded, exactly one refund
   per order (``payments.Refund`` and ledger entries ``refund:runaway:order:<id>``), the money per
   source account from the report equals the balance changes, and ``kadun ledger-check`` is clean.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/runaway.py --n 10000 [--keep-db]
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _db_url(admin_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _env(db_url: str) -> None:
    os.environ.update(
        DATABASE_URL=db_url, KADUN_VAR_DIR=tempfile.mkdtemp(prefix="kadun-bench-runaway-"), SECRET_KEY=secrets.token_urlsafe(50),
        KADUN_CARD_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(), KADUN_KEY_HASH_SECRET=secrets.token_urlsafe(32),
        KADUN_SANDBOX_SECRET=secrets.token_urlsafe(32), KADUN_GENERATED_SECRETS="1", KADUN_PAYMENT_PROVIDERS="sandbox,wallet",
        KADUN_LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="kadun.settings",
    )


@contextlib.contextmanager
def scratch_database(prefix: str, *, keep: bool = False):
    """A fresh, migrated PostgreSQL database (``<prefix>_<pid>`` beside DATABASE_URL's) with Django
    set up on it for one benchmark run; dropped afterwards unless ``keep``."""
    admin = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _env(_db_url(admin, name))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')



def seed(n: int, confirmed_share: float) -> dict:
    from django.db import transaction

    from kadun.accounts.services import user_create
    from kadun.catalog.services import product_create
    from kadun.core import clock
    from kadun.inventory.services import keys_import
    from kadun.ledger import services as ledger
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create
    from kadun.orders import services as orders
    from kadun.orders.models import Order
    from kadun.payments.models import Payment

    merchant, buyer, staff = user_create(username="m1", password="bench-pw-1"), user_create(username="b1", password="bench-pw-1"), \
        user_create(username="risk1", password="bench-pw-1", staff_role="risk")
    shop = shop_create(owner=merchant, name="跑路店铺")
    shop_preapprove(shop_id=shop.pk)  # 资质审核 passed: a shop lists nothing before it
    shop.refresh_from_db()
    product = product_create(shop=shop, data={"title": "点卡", "price": 1000, "delivery": "auto", "category": "game_card"})
    keys_import(product=product, lines=[(1, "BENCH-RUNAWAY-TEMPLATE-KEY")], source="cli")
    ledger.entry_post(kind="topup", idempotency_key="bench:topup", lines=[("external:bench", -(n + 1) * 1000), (f"buyer:{buyer.pk}:wallet", (n + 1) * 1000)])
    template, _ = orders.order_checkout_wallet(user=buyer, product_id=product.pk, quantity=1, confirm_no_reason_exclusion=True)
    template = Order.objects.get(pk=template.pk)
    now = clock.now()
    fields = {f.attname: getattr(template, f.attname) for f in Order._meta.concrete_fields if f.attname != "id"}
    started = time.perf_counter()
    ids: list[int] = []
    for start in range(0, n, 2000):
        rows = [Order(**{**fields, "order_no": f"BR{start + i:012d}", "access_token_hash": secrets.token_hex(32)}) for i in range(min(2000, n - start))]
        with transaction.atomic():
            made = Order.objects.bulk_create(rows)
            Payment.objects.bulk_create([Payment(order_id=o.pk, provider="wallet", out_trade_no=f"PB{o.pk:020d}", amount=1000, status="succeeded",
                                                 created_at=now, paid_at=now) for o in made])
            ledger.entries_post([{"kind": "payment", "idempotency_key": f"payment:bench:{o.pk}", "ref_type": "order", "ref_id": o.pk,
                                  "lines": [(f"buyer:{buyer.pk}:wallet", -1000), (f"escrow:order:{o.pk}", 1000)]} for o in made])
        ids += [o.pk for o in made]
    ids.append(template.pk)
    to_confirm = ids[: int(len(ids) * confirmed_share)]
    for start in range(0, len(to_confirm), 500):
        orders.orders_autoconfirm(order_ids=to_confirm[start:start + 500])
    to_settle = to_confirm[: len(to_confirm) // 2]
    for start in range(0, len(to_settle), 500):
        orders.orders_settle(order_ids=to_settle[start:start + 500])
    from kadun.ledger.selectors import balance_of

    available = balance_of(f"merchant:{shop.pk}:available")
    keep = available // 4  # the merchant took three quarters out: the last refunds need 先行赔付
    if available - keep > 0:
        out = available - keep
        ledger.entry_post(kind="payout", idempotency_key="bench:payout", lines=[(f"merchant:{shop.pk}:available", -out), ("external:payout", out)])
    return {"shop": shop, "staff": staff, "buyer": buyer, "ids": ids, "seed_s": time.perf_counter() - started,
            "confirmed": len(to_confirm), "settled": len(to_settle)}


def accounts(shop_id: int, buyer_id: int) -> dict[str, int]:
    from kadun.ledger.selectors import balance_of
    from django.db.models import Sum

    from kadun.ledger.models import Posting as P

    escrow = P.objects.filter(account__kind="escrow").aggregate(s=Sum("amount"))["s"] or 0
    codes = {"pending": f"merchant:{shop_id}:pending", "available": f"merchant:{shop_id}:available", "debt": f"merchant:{shop_id}:debt",
             "platform_fee": "platform:fees", "wallet": f"buyer:{buyer_id}:wallet"}
    return {"escrow": escrow, **{k: balance_of(c) for k, c in codes.items()}}


def sweep_twice() -> tuple[float, list]:
    from django.db import connection

    from kadun.deadlines.services import deadlines_sweep_all

    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = deadlines_sweep_all()
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--confirmed-share", type=float, default=0.4)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    with scratch_database("bench_runaway", keep=args.keep_db):
        return run(args)


def run(args) -> int:
    from django.core.management import call_command
    from django.db.models import Count

    from kadun.ledger.models import JournalEntry
    from kadun.orders.models import Order
    from kadun.payments.models import Refund
    from kadun.risk import runaway_disposal
    from kadun.risk.models import RunawayRefund

    world = seed(args.n, args.confirmed_share)
    shop = world["shop"]
    print(f"seeded {len(world['ids'])} orders in {world['seed_s']:.1f}s ({world['confirmed']} confirmed, {world['settled']} of them settled)")
    before = accounts(shop.pk, world["buyer"].pk)
    t0 = time.perf_counter()
    disposal = runaway_disposal.runaway_declare(shop_id=shop.pk, actor=world["staff"], reason="bench", notice="", confirm_name=shop.name)
    declare_s = time.perf_counter() - t0
    seconds, results = sweep_twice()
    after = accounts(shop.pk, world["buyer"].pk)
    n = len(world["ids"])
    errors = [r for r in results if isinstance(r, Exception)]
    refunds_per_order = Refund.objects.filter(order_id__in=world["ids"]).values("order_id").annotate(c=Count("id"))
    twice = [r for r in refunds_per_order if r["c"] != 1]
    entries = JournalEntry.objects.filter(idempotency_key__startswith="refund:runaway:order:").count()
    refunded = Order.objects.filter(pk__in=world["ids"], status="refunded").count()
    jobs = RunawayRefund.objects.filter(disposal=disposal, status="refunded").count()
    report = runaway_disposal.disposal_report(disposal)
    delta = {k: after[k] - before[k] for k in after}
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
        ledger_ok = True
    except SystemExit as exc:
        ledger_ok = exc.code == 0
    checks = {
        "both sweepers finished without error": not errors,
        f"{n} jobs refunded": jobs == n,
        f"{n} orders refunded": refunded == n,
        "exactly one refund per order": not twice and len(refunds_per_order) == n,
        "exactly one ledger refund entry per order": entries == n,
        "buyers got every fen back": delta["wallet"] == n * 1000,
        "escrow, pending, available as reported": (-delta["escrow"], -delta["pending"], -delta["available"])
        == (report["totals"]["escrow"], report["totals"]["pending"], report["totals"]["available"]),
        "先行赔付 booked as the merchant's debt": -delta["debt"] == report["totals"]["advance"] > 0,
        "ledger-check clean": ledger_ok,
    }
    print(f"declared in {declare_s:.2f}s; two sweepers refunded {n} orders in {seconds:.1f}s ({n / seconds:.0f} orders/s); "
          f"fired per sweeper: {results}")
    print("from: " + ", ".join(f"{k} {v / 100:.2f} 元" for k, v in report["totals"].items()))
    for label, ok in checks.items():
        print(f"  {'ok    ' if ok else 'FAILED'} {label}")
    assert all(checks.values()), [k for k, v in checks.items() if not v]
    return 0


if __name__ == "__main__":
    sys.exit(main())
