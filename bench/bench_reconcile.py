"""对账 at scale: a 100,000-line gateway statement against as many payments and refunds on PostgreSQL.

One run:

1. a fresh database is created and migrated (``bench.runaway.scratch_database``); one order is
   bought through the services as the template, then N orders are written in bulk from it, each
   with its payment (succeeded, paid during the statement day, Asia/Shanghai), and a refund to
   the payment source on every 20th one (3.00, succeeded the same day);
2. the statement is built from the same books in the gateway's published format
   (``kadun.payments.tests.fakes.bills``: the 支付宝 业务明细 zip, GBK; the 微信支付 交易账单 ALL),
   with ``--off`` rows one 分 off, and written to a file;
3. ``kadun reconcile --provider P --date D --file F`` (timed): streaming parse, comparison, the run
   and its differences stored; prints lines/s and the total, and checks the run found exactly the
   planted differences and matched every other line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_reconcile.py --lines 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import secrets
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.runaway import scratch_database  # noqa: E402

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REFUND_EVERY = 20


def seed(trades: int, day: dt.date) -> tuple[list, list]:
    """N orders with succeeded payments (and every 20th refunded 3.00) paid during ``day``."""
    from django.db import transaction

    from kadun.accounts.services import user_create
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import
    from kadun.ledger import services as ledger
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create
    from kadun.orders import services as orders
    from kadun.orders.models import Order
    from kadun.payments.models import Payment, Refund

    merchant, buyer = user_create(username="m1", password="bench-pw-1"), user_create(username="b1", password="bench-pw-1")
    shop = shop_create(owner=merchant, name="对账店铺")
    shop_preapprove(shop_id=shop.pk)  # 资质审核 passed
    shop.refresh_from_db()
    product = product_create(shop=shop, data={"title": "点卡", "price": 1000, "delivery": "auto", "category": "game_card"})
    keys_import(product=product, lines=[(1, "BENCH-RECONCILE-TEMPLATE-KEY")], source="cli")
    ledger.entry_post(kind="topup", idempotency_key="bench:topup", lines=[("external:bench", -1000), (f"buyer:{buyer.pk}:wallet", 1000)])
    template, _ = orders.order_checkout_wallet(user=buyer, product_id=product.pk, quantity=1, confirm_no_reason_exclusion=True)
    template = Order.objects.get(pk=template.pk)
    fields = {f.attname: getattr(template, f.attname) for f in Order._meta.concrete_fields if f.attname != "id"}
    noon = dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=SHANGHAI)
    pays, refunds = [], []
    for start in range(0, trades, 5000):
        rows = [Order(**{**fields, "order_no": f"BC{start + i:012d}", "access_token_hash": secrets.token_hex(32)})
                for i in range(min(5000, trades - start))]
        with transaction.atomic():
            made = Order.objects.bulk_create(rows)
            batch = [Payment(order_id=o.pk, provider="alipay", out_trade_no=f"PC{o.pk:020d}", amount=1000 + o.pk % 997, status="succeeded",
                             gateway_trade_no=f"2026{o.pk:024d}", created_at=noon, paid_at=noon + dt.timedelta(milliseconds=(start + i) * 800))
                     for i, o in enumerate(made)]
            Payment.objects.bulk_create(batch)
            pays += batch
            back = [Refund(order_id=p.order_id, payment=p, refund_no=f"RC{p.order_id:020d}", amount=300, reason="bench",
                           destination="source", idempotency_key=f"refund:bench:{p.order_id}", status="succeeded",
                           created_at=p.paid_at, completed_at=p.paid_at + dt.timedelta(minutes=5))
                    for i, p in enumerate(batch, start=start) if i % REFUND_EVERY == REFUND_EVERY - 1]
            Refund.objects.bulk_create(back)
            refunds += back
    return pays, refunds


def statement(provider: str, pays: list, refunds: list, day: dt.date, off: int) -> bytes:
    from kadun.payments.tests.fakes import bills

    rows = [bills.Row("trade", p.out_trade_no, p.gateway_trade_no, p.amount + (1 if i < off else 0), p.paid_at) for i, p in enumerate(pays)]
    rows += [bills.Row("refund", r.payment.out_trade_no, f"5030{r.order_id:020d}", r.amount, r.completed_at, refund_no=r.refund_no) for r in refunds]
    rows.sort(key=lambda r: r.at)
    if provider == "alipay":
        return bills.alipay_zip(rows, pid="2088000000000001", day=day)
    return bills.wechat_csv(rows, mchid="1900000001", appid="wxd678efh567hg6787")


def run_one(provider: str, path: str, day: dt.date, lines: int, off: int) -> dict:
    from django.core.management import call_command

    from kadun.payments.models import ReconciliationRun

    out = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("reconcile", "--provider", provider, "--date", day.isoformat(), "--file", path, stdout=out)
    except SystemExit as exc:
        assert exc.code == (1 if off else 0), out.getvalue()
    took = time.perf_counter() - started
    run = ReconciliationRun.objects.latest("pk")
    assert (run.lines_read, run.matched, run.difference_count) == (lines, lines - off, off), (run.lines_read, run.matched, run.difference_count)
    assert set(run.differences.values_list("kind", flat=True)) <= {"amount"}
    return {"took": took, "rate": lines / took}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000, help="statement lines (trades + refunds)")
    parser.add_argument("--off", type=int, default=10, help="trade rows one 分 off (differences to find)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    with scratch_database("bench_reconcile", keep=args.keep_db):
        from kadun.core import clock
        from kadun.payments.models import Payment

        day = (clock.now().astimezone(SHANGHAI) - dt.timedelta(days=1)).date()
        trades = next(t for t in range(args.lines * REFUND_EVERY // (REFUND_EVERY + 1), args.lines + 1) if t + t // REFUND_EVERY >= args.lines)
        started = time.perf_counter()
        pays, refunds = seed(trades, day)
        lines = len(pays) + len(refunds)
        print(f"seeded {trades} payments and {len(refunds)} refunds in {time.perf_counter() - started:.1f}s; statement of {lines} lines")
        for provider in ("alipay", "wechatpay"):
            if provider == "wechatpay":
                Payment.objects.update(provider="wechatpay")
            content = statement(provider, pays, refunds, day, args.off)
            with tempfile.NamedTemporaryFile(suffix=".zip" if provider == "alipay" else ".csv", delete=False) as handle:
                handle.write(content)
            result = run_one(provider, handle.name, day, lines, args.off)
            Path(handle.name).unlink()
            print(f"{provider}: {lines} lines ({len(content) / 1e6:.1f} MB) reconciled in {result['took']:.2f}s = "
                  f"{result['rate']:,.0f} lines/s, {args.off} differences found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
