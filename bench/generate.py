"""Fast data generator for the benchmarks: shops, products, keys, orders and their rows at scale.

How it stays faithful to what the app writes: a few rows of every kind are first written by the
services themselves (``kadun shell -c``: a staff user, a merchant and shop, a product with its
refund policy and imported keys, a guest order paid and delivered through a signed sandbox
notification, a buyer's order paid, delivered and confirmed, and a refund request). Those are the
*templates*. Every generated row is then an ``INSERT ... SELECT`` (over ``generate_series`` or over
the orders just generated) that sets the columns that vary — ids, numbers, statuses, times,
foreign keys, amounts, hashes — and copies every other column from the template row, so policy
snapshots, defaults and any column a later migration adds come out as the app writes them.

Generated secrets: every generated card key carries the ciphertext of one template key (a real
Fernet token under the run's ``KADUN_CARD_KEYS``, so pages can decrypt and mask it), with a unique
fingerprint of its own. A guest order's access token is ``bench-token-<order id>`` (only its
SHA-256 is stored, as the app does), so a benchmark can open any guest order with
``X-Order-Token``. Generated users get the template user's password hash (log in with
``force_login``, or with the template password printed by the seed).

Used by ``bench/sweeper.py`` and ``bench/pages.py``; run alone it creates a database, fills it
and prints how long each step took:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/generate.py \\
        --orders 1000000 --products 10000 --shops 200 --refund-requests 100000 [--keep-db]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import purchase as common  # noqa: E402  (database, environment and `kadun` helpers)

CATEGORIES = ("game_card", "software", "membership", "topup", "boosting", "other")
TEMPLATE_PASSWORD_ENV = "BENCH_TEMPLATE_PASSWORD"

# Status mix of generated orders for the pages benchmark ("mostly confirmed/delivered").
PAGES_MIX = {"confirmed": 0.75, "delivered": 0.10, "expired": 0.08, "refunded": 0.04, "pending_payment": 0.03}

SEED = r"""
import json, os, secrets
from kadun.accounts.services import user_create
from kadun.aftersales.services import refund_request_create
from kadun.catalog.services import product_create
from kadun.inventory.models import CardKey
from kadun.inventory.services import keys_import
from kadun.ledger.services import accounts_open_platform
from kadun.merchants.services import shop_create
from kadun.orders.models import Order
from kadun.orders.services import order_confirm, order_create
from kadun.payments.models import SandboxTrade
from kadun.payments.providers.sandbox import notification_params
from kadun.payments.services import notification_handle

password = os.environ["BENCH_TEMPLATE_PASSWORD"]
accounts_open_platform()
staff = user_create(username="bench-staff", password=password, staff_role="admin")
merchant = user_create(username="bench-template-merchant", password=password)
buyer = user_create(username="bench-template-buyer", password=password)
shop = shop_create(owner=merchant, name="模板店铺")
from kadun.merchants.onboarding import shop_preapprove  # noqa: E402
shop_preapprove(shop_id=shop.pk); shop.refresh_from_db()  # 资质审核 passed
product = product_create(shop=shop, data={"title": "模板商品 游戏点卡", "price": 1000, "delivery": "auto", "category": "game_card"})
tag = secrets.token_hex(4)
report = keys_import(product=product, lines=[(i + 1, f"BENCH-TEMPLATE-{tag}-{i:04d}") for i in range(4)], source="cli")
assert report.imported == 4, report.as_dict()


def paid(order):
    trade = SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no)
    outcome = notification_handle(provider="sandbox", params=notification_params(trade, status="SUCCESS"))
    assert outcome == "delivered", outcome
    return Order.objects.get(pk=order.pk)


guest_order, _token, _ = order_create(
    product_id=product.pk, quantity=1, contact="guest@example.com", query_password="bench-pass-1", confirm_no_reason_exclusion=True,
)
guest_order = paid(guest_order)
buyer_order, _, _ = order_create(product_id=product.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True)
buyer_order = paid(buyer_order)
order_confirm(order_id=buyer_order.pk, actor="buyer", user=buyer)
refund_order, _, _ = order_create(
    product_id=product.pk, quantity=1, contact="guest2@example.com", query_password="bench-pass-1", confirm_no_reason_exclusion=True,
)
refund_order = paid(refund_order)
key = CardKey.objects.filter(order=refund_order).first()
request = refund_request_create(order=refund_order, reason="invalid_key", statement="卡密提示已被使用", key_ids=[key.pk])
available = CardKey.objects.filter(product=product, status="available").order_by("id").first()
print("BENCH-TEMPLATES " + json.dumps({
    "staff": staff.pk, "merchant": merchant.pk, "buyer": buyer.pk, "shop": shop.pk, "product": product.pk,
    "policy": product.policies.order_by("-version").first().pk, "key": available.pk, "sold_key": key.pk,
    "guest_order": guest_order.pk, "buyer_order": buyer_order.pk, "refund_order": refund_order.pk,
    "refund_request": request.pk, "refund_request_status": request.status,
}))
"""


def seed_templates(env: dict, password: str) -> dict:
    out = common.kadun(env, "shell", "-c", SEED, extra_env={TEMPLATE_PASSWORD_ENV: password})
    line = next(line for line in out.splitlines() if line.startswith("BENCH-TEMPLATES "))
    return json.loads(line.split(" ", 1)[1])


# --- INSERT ... SELECT with a template row --------------------------------------------------------


def columns(conn, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    if not rows:
        raise SystemExit(f"no table {table}")
    return [r[0] for r in rows]


def clone(conn, table: str, *, template: str, set_: dict[str, str], from_: str, params: tuple = (), keep_id: bool = False) -> int:
    """``INSERT INTO table SELECT`` one row per row of ``from_``: the columns in ``set_`` get the
    given SQL expressions, every other column is copied from the template row (alias ``t``;
    ``template`` is a WHERE condition on the table picking exactly one row). Without ``id`` in
    ``set_`` the identity column numbers the rows. Returns the rows inserted."""
    cols = columns(conn, table)
    unknown = set(set_) - set(cols)
    if unknown:
        raise SystemExit(f"{table} has no column(s) {sorted(unknown)}")
    names = [c for c in cols if c != "id" or "id" in set_ or keep_id]
    exprs = [set_.get(c, f"t.{c}") for c in names]
    if conn.execute(f"SELECT count(*) FROM {table} WHERE {template}").fetchone()[0] == 0:
        raise SystemExit(f"no template row in {table} where {template}")
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} "
        f"FROM (SELECT * FROM {table} WHERE {template} ORDER BY id LIMIT 1) t, {from_}"
    )
    return conn.execute(sql, params).rowcount


def max_id(conn, table: str) -> int:
    return conn.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()[0]


def fix_sequences(conn, tables: list[str]) -> None:
    for table in tables:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(max(id), 0) FROM {table}), 1))"
        )


ALL_TABLES = (
    "accounts_user", "merchants_shop", "catalog_product", "catalog_refundpolicy", "inventory_cardkey", "orders_order",
    "orders_orderevent", "payments_payment", "payments_sandboxtrade", "ledger_account", "ledger_journalentry", "ledger_posting",
    "deadlines_deadline", "notifications_outboxmessage", "aftersales_refundrequest", "aftersales_refundevent",
)


# --- the generator ----------------------------------------------------------------------------


@dataclass
class World:
    """What has been generated so far (ids are contiguous ranges)."""

    templates: dict
    shop_ids: list[int] = field(default_factory=list)  # index 0 is the big shop
    merchant_ids: list[int] = field(default_factory=list)
    buyer_first: int = 0
    buyers: int = 0
    product_first: int = 0
    products: int = 0
    orders: int = 0  # generated so far (not counting the template orders)
    order_first: int = 0  # id of the first generated order


class Generator:
    def __init__(self, conn: psycopg.Connection, templates: dict, say=print):
        self.conn = conn
        self.w = World(templates=templates)
        self.say = say
        self.timings: dict[str, float] = {}

    def step(self, name: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.conn.commit()
        elapsed = time.perf_counter() - t0
        self.timings[name] = self.timings.get(name, 0.0) + elapsed
        self.say(f"  {name}: {out if out is not None else ''} ({elapsed:.1f} s)")
        return out

    # users, shops, accounts -----------------------------------------------------------------

    def people(self, *, shops: int, buyers: int) -> None:
        t = self.w.templates
        c = self.conn

        def merchants() -> int:
            base = max_id(c, "accounts_user")
            n = clone(c, "accounts_user", template=f"id = {t['merchant']}", from_="generate_series(1, %s::int) g", params=(shops,), set_={
                "id": f"{base} + g", "username": "'bench-m-' || g", "email": "''", "date_joined": "now() - interval '400 days'",
                "last_login": "NULL",
            })
            self.w.merchant_ids = list(range(base + 1, base + 1 + shops))
            return n

        def shops_() -> int:
            base = max_id(c, "merchants_shop")
            mbase = self.w.merchant_ids[0] - 1
            n = clone(c, "merchants_shop", template=f"id = {t['shop']}", from_="generate_series(1, %s::int) g", params=(shops,), set_={
                "id": f"{base} + g", "owner_id": f"{mbase} + g",
                "name": "CASE WHEN g = 1 THEN '大店 旗舰店' ELSE '店铺 ' || g END",
                "created_at": "now() - interval '400 days'",
            })
            self.w.shop_ids = list(range(base + 1, base + 1 + shops))
            return n

        def shop_accounts() -> int:
            first, last = self.w.shop_ids[0], self.w.shop_ids[-1]
            n = 0
            for kind in ("pending", "available", "deposit"):
                n += clone(c, "ledger_account", template="kind = 'pending'", from_="generate_series(%s::bigint, %s::bigint) s", params=(first, last), set_={
                    "code": f"'merchant:' || s || ':{kind}'", "kind": f"'{kind}'", "owner_id": "s", "floor": "true", "balance": "0",
                })
            return n

        def buyers_() -> int:
            base = max_id(c, "accounts_user")
            n = clone(c, "accounts_user", template=f"id = {t['buyer']}", from_="generate_series(1, %s::int) g", params=(buyers,), set_={
                "id": f"{base} + g", "username": "'bench-b-' || g", "email": "'b' || g || '@example.com'",
                "date_joined": "now() - interval '400 days'", "last_login": "NULL",
            })
            self.w.buyer_first, self.w.buyers = base + 1, buyers
            clone(c, "ledger_account", template="kind = 'wallet'", from_="generate_series(%s::bigint, %s::bigint) u", params=(base + 1, base + buyers), set_={
                "code": "'buyer:' || u || ':wallet'", "kind": "'wallet'", "owner_id": "u", "floor": "true", "balance": "0",
            })
            return n

        self.step("merchant users", merchants)
        self.step("shops", shops_)
        self.step("shop accounts", shop_accounts)
        if buyers:
            self.step("buyer users + wallets", buyers_)

    # catalog ------------------------------------------------------------------------------

    def catalog(self, *, products: int, keys_per_product: int) -> None:
        """``products`` products over the shops (product k belongs to shop k mod S), each with
        version 1 of the template's refund policy and ``keys_per_product`` keys in stock."""
        t = self.w.templates
        c = self.conn
        shops = len(self.w.shop_ids)
        sbase = self.w.shop_ids[0]

        def products_() -> int:
            base = max_id(c, "catalog_product")
            cats = "ARRAY[" + ", ".join(f"'{x}'" for x in CATEGORIES[:3]) + "]"  # key products: card, software, membership
            n = clone(c, "catalog_product", template=f"id = {t['product']}", from_="generate_series(0, %s::int - 1) k", params=(products,), set_={
                "id": f"{base} + 1 + k", "shop_id": f"{sbase} + k %% {shops}",
                "title": "(ARRAY['游戏点卡', '激活码', '会员月卡', '充值卡', '兑换码'])[1 + k %% 5] || ' ' || (k + 1) || '号'",
                "category": f"({cats})[1 + (k / {shops}) %% 3]",
                "price": "100 + (k * 7919) %% 50000",
                "created_at": "now() - interval '400 days' + k * interval '1 minute'",
                "updated_at": "now() - interval '400 days' + k * interval '1 minute'",
            })
            self.w.product_first, self.w.products = base + 1, products
            return n

        def policies() -> int:
            return clone(c, "catalog_refundpolicy", template=f"id = {t['policy']}", from_="generate_series(%s::bigint, %s::bigint) p",
                         params=(self.w.product_first, self.w.product_first + products - 1),
                         set_={"product_id": "p", "version": "1"})

        def stock() -> int:
            return clone(
                c, "inventory_cardkey", template=f"id = {t['key']}",
                from_="catalog_product p CROSS JOIN generate_series(1, %s::int) i WHERE p.id BETWEEN %s AND %s",
                params=(keys_per_product, self.w.product_first, self.w.product_first + products - 1),
                set_={
                    "product_id": "p.id", "shop_id": "p.shop_id", "batch_id": "NULL", "status": "'available'", "order_id": "NULL",
                    "fingerprint": "encode(sha256(('bench-stock-' || p.id || '-' || i)::bytea), 'hex')", "sold_at": "NULL",
                    "first_revealed_at": "NULL", "created_at": "p.created_at",
                },
            )

        self.step("products", products_)
        self.step("refund policies", policies)
        if keys_per_product:
            self.step(f"keys in stock ({keys_per_product}/product)", stock)

    # orders -------------------------------------------------------------------------------

    def orders(
        self, n: int, *, mix: dict[str, float], big_share: float = 0.2, buyer_share: float = 0.3, seconds_apart: float = 30.0,
        end_offset_s: float = 0.0, horizon: int | None = None,
    ) -> tuple[int, int]:
        """Append ``n`` orders (ids contiguous; returns first and last id). Order number i of all
        generated is created at ``now - end_offset - (horizon - i) * seconds_apart``, so appended
        orders are newer. The big shop (index 0) gets ``big_share`` of them; ``buyer_share`` are
        logged-in buyers' orders, the rest guests'."""
        t = self.w.templates
        c = self.conn
        shops = len(self.w.shop_ids)
        per_shop = self.w.products // shops
        pfirst = self.w.product_first
        horizon = horizon or (self.w.orders + n)
        start_index = self.w.orders
        edges, acc = [], 0.0
        for status, share in mix.items():
            acc += share
            edges.append((acc, status))
        whens = " ".join(f"WHEN r.a < {edge:.6f} THEN '{status}'" for edge, status in edges[:-1])
        status_case = f"CASE {whens} ELSE '{edges[-1][1]}' END" if whens else f"'{edges[-1][1]}'"
        base = max_id(c, "orders_order")
        buyer_expr = (
            f"CASE WHEN r.c < {buyer_share} THEN {self.w.buyer_first} + floor(r.f * {self.w.buyers})::bigint END"
            if self.w.buyers else "NULL"
        )
        # r: one row per order with its random draws; s: its status, shop index, product.
        from_ = f"""(
            SELECT g, {base} + g AS id, s.status, p.id AS product_id, p.shop_id, p.title, p.delivery, p.price, p.inspection_hours,
                   {buyer_expr} AS buyer_id,
                   now() - make_interval(secs => {end_offset_s} + ({horizon} - %s::bigint - g) * {seconds_apart}) AS created
            FROM (SELECT g, random() AS a, random() AS b, random() AS c, random() AS d, random() AS e, random() AS f FROM generate_series(1, %s::int) g) r
            CROSS JOIN LATERAL (SELECT {status_case} AS status,
                                       CASE WHEN r.b < {big_share} THEN 0 ELSE 1 + floor(r.e * {shops - 1})::int END AS shop_index) s
            JOIN catalog_product p ON p.id = {pfirst} + s.shop_index + {shops} * floor(r.d * {per_shop})::int
        ) o"""
        paid = "o.status IN ('delivered', 'confirmed', 'refunded')"
        set_ = {
            "id": "o.id",
            "order_no": "to_char(o.created AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(o.id::text, 10, '0')",
            "buyer_id": "o.buyer_id",
            "contact": "CASE WHEN o.buyer_id IS NULL THEN 'g' || o.id || '@example.com' ELSE '' END",
            "query_password": "CASE WHEN o.buyer_id IS NULL THEN t.query_password ELSE '' END",
            "access_token_hash": "encode(sha256(('bench-token-' || o.id)::bytea), 'hex')",
            "shop_id": "o.shop_id", "product_id": "o.product_id", "title": "o.title", "delivery": "o.delivery", "quantity": "1",
            "unit_price": "o.price", "amount": "o.price",
            "fee": "CASE WHEN o.status = 'confirmed' THEN (o.price * 200 + 5000) / 10000 ELSE 0 END",  # fee_of, 2 %
            "refunded_amount": "CASE WHEN o.status = 'refunded' THEN o.price ELSE 0 END",
            "inspection_hours": "o.inspection_hours", "status": "o.status",
            "created_at": "o.created", "expires_at": "o.created + interval '15 minutes'",
            "paid_at": f"CASE WHEN {paid} THEN o.created + interval '30 seconds' END",
            "delivered_at": f"CASE WHEN {paid} THEN o.created + interval '30 seconds' END",
            "confirmed_at": "CASE WHEN o.status = 'confirmed' THEN o.created + interval '30 seconds' + o.inspection_hours * interval '1 hour' END",
            "settled_at": "CASE WHEN o.status = 'confirmed' AND o.created + interval '97 hours' < now() "
                          "THEN o.created + interval '30 seconds' + (o.inspection_hours + 72) * interval '1 hour' END",
            "refunded_at": "CASE WHEN o.status = 'refunded' THEN o.created + interval '2 hours' END",
            "refund_hold": "false", "milestone": "0",
        }

        def insert() -> int:
            return clone(c, "orders_order", template=f"id = {t['guest_order']}", from_=from_, params=(start_index, n), set_=set_)

        count = self.step(f"orders ({', '.join(f'{k} {v:.0%}' for k, v in mix.items())})", insert)
        first, last = base + 1, base + count
        if not self.w.order_first:
            self.w.order_first = first
        self.w.orders += count
        return first, last

    def order_rows(self, first: int, last: int, *, key_every: int = 1, events: bool = True, trades: bool = True,
                   ledger: bool = False, deadlines: bool = False, outbox: bool = False, autoconfirm_due: str | None = None) -> None:
        """The rows that go with orders ``first..last``: payment (+ sandbox trade), sold keys (for
        every ``key_every``-th delivered/confirmed order), events, and optionally the ledger
        (payment entry + escrow account for delivered orders), deadlines (expiry, fired; auto-
        confirm for delivered orders, due at ``autoconfirm_due`` or at the end of inspection)
        and the delivery e-mail of guests (sent)."""
        t = self.w.templates
        c = self.conn
        rng = "o.id BETWEEN %s AND %s"
        p = (first, last)
        paid = "o.status IN ('delivered', 'confirmed', 'refunded')"

        def payments() -> int:
            return clone(c, "payments_payment", template=f"order_id = {t['guest_order']}", from_=f"orders_order o WHERE {rng}", params=p, set_={
                "order_id": "o.id", "out_trade_no": "'PB' || lpad(o.id::text, 20, '0')", "amount": "o.amount",
                "status": f"CASE WHEN {paid} THEN 'succeeded' ELSE 'pending' END",
                "gateway_trade_no": f"CASE WHEN {paid} THEN 'SBB' || lpad(o.id::text, 20, '0') ELSE '' END",
                "pay_url": "'/pay/sandbox/PB' || lpad(o.id::text, 20, '0') || '/'", "created_at": "o.created_at", "paid_at": "o.paid_at",
            })

        def sandbox_trades() -> int:
            return clone(c, "payments_sandboxtrade", template=f"out_trade_no = (SELECT out_trade_no FROM payments_payment WHERE order_id = {t['guest_order']})",
                         from_=f"orders_order o WHERE {rng}", params=p, set_={
                "out_trade_no": "'PB' || lpad(o.id::text, 20, '0')", "trade_no": "'SBB' || lpad(o.id::text, 20, '0')",
                "merchant_no": "o.shop_id::text", "amount": "o.amount", "subject": "o.title",
                "return_url": "'/orders/' || o.order_no || '/'", "created_at": "o.created_at",
            })

        def keys() -> int:
            return clone(c, "inventory_cardkey", template=f"id = {t['sold_key']}",
                         from_=f"orders_order o WHERE {rng} AND o.status IN ('delivered', 'confirmed') AND o.id %% %s = 0",
                         params=(*p, key_every), set_={
                "product_id": "o.product_id", "shop_id": "o.shop_id", "batch_id": "NULL", "status": "'sold'", "order_id": "o.id",
                "fingerprint": "encode(sha256(('bench-sold-' || o.id)::bytea), 'hex')", "sold_at": "o.delivered_at",
                "first_revealed_at": "NULL", "created_at": "o.created_at - interval '1 day'",
                # The template key was withdrawn by the template refund: a sold key has no withdrawal.
                "withdrawn_at": "NULL", "withdrawn_reason": "''",
            })

        def events_() -> int:
            n = 0
            actor = "CASE WHEN o.buyer_id IS NULL THEN 'guest' ELSE 'buyer' END"
            kinds = [
                ("created", "true", "''", "'pending_payment'", actor, "o.created_at", "''"),
                ("paid_delivered", paid, "'pending_payment'", "'delivered'", "'gateway'", "o.paid_at", "'已自动发货 1 个卡密'"),
                ("confirmed", "o.status = 'confirmed'", "'delivered'", "'confirmed'", "'system'", "o.confirmed_at", "'验货期结束，系统自动确认收货'"),
                ("settled", "o.settled_at IS NOT NULL", "''", "''", "'system'", "o.settled_at",
                 "'结算期结束，' || round((o.amount - o.fee) / 100.0, 2) || ' 元转入商家可用余额'"),
                ("refunded", "o.status = 'refunded'", "'delivered'", "'refunded'", "'system'", "o.refunded_at", "'已全额原路退回。'"),
                ("expired", "o.status = 'expired'", "'pending_payment'", "'expired'", "'system'", "o.expires_at", "'超时未支付，订单已关闭'"),
            ]
            for kind, cond, frm, to, who, at, note in kinds:
                n += clone(c, "orders_orderevent", template=f"order_id = {t['guest_order']}", from_=f"orders_order o WHERE {rng} AND {cond}",
                           params=p, set_={
                    "order_id": "o.id", "kind": f"'{kind}'", "from_status": frm, "to_status": to, "actor": who,
                    "actor_user_id": "NULL", "note": note, "at": at,
                })
            return n

        def ledger_() -> int:
            # Delivered orders only: money in escrow (payment entry, escrow account at the amount).
            n = clone(c, "ledger_account", template=f"code = 'escrow:order:{t['guest_order']}'",
                      from_=f"orders_order o WHERE {rng} AND o.status = 'delivered'", params=p, set_={
                "code": "'escrow:order:' || o.id", "owner_id": "o.id", "balance": "o.amount",
            })
            n += clone(c, "ledger_journalentry", template=f"kind = 'payment' AND ref_type = 'order' AND ref_id = {t['guest_order']}",
                       from_=f"orders_order o JOIN payments_payment pay ON pay.order_id = o.id WHERE {rng} AND o.status = 'delivered'",
                       params=p, set_={
                "idempotency_key": "'payment:' || pay.id", "ref_id": "o.id", "memo": "'sandbox ' || pay.gateway_trade_no",
                "created_at": "o.paid_at",
            })
            sandbox = c.execute("SELECT id FROM ledger_account WHERE code = 'external:sandbox'").fetchone()[0]
            entries = """ledger_journalentry e JOIN orders_order o ON o.id = e.ref_id
                          WHERE e.kind = 'payment' AND e.ref_type = 'order' AND e.ref_id BETWEEN %s AND %s AND o.status = 'delivered'"""
            n += clone(c, "ledger_posting", template=f"account_id = {sandbox}", from_=entries, params=p, set_={
                "entry_id": "e.id", "account_id": str(sandbox), "amount": "-o.amount",
            })
            n += clone(c, "ledger_posting", template=f"account_id = {sandbox}",
                       from_=entries.replace("WHERE", "JOIN ledger_account a ON a.code = 'escrow:order:' || o.id WHERE"), params=p,
                       set_={"entry_id": "e.id", "account_id": "a.id", "amount": "o.amount"})
            return n

        def deadlines_() -> int:
            n = clone(c, "deadlines_deadline", template=f"kind = 'order_expire' AND subject_id = {t['guest_order']}",
                      from_=f"orders_order o WHERE {rng}", params=p, set_={
                "kind": "'order_expire'", "subject_id": "o.id", "due_at": "o.expires_at", "created_at": "o.created_at",
                "fired_at": "CASE WHEN o.status = 'pending_payment' THEN NULL ELSE greatest(o.expires_at, o.created_at) END",
                "outcome": "CASE WHEN o.status = 'expired' THEN 'done' WHEN o.status = 'pending_payment' THEN '' ELSE 'noop' END",
                "attempts": "CASE WHEN o.status = 'pending_payment' THEN 0 ELSE 1 END", "last_error": "''",
            })
            due = autoconfirm_due or "o.delivered_at + o.inspection_hours * interval '1 hour'"
            n += clone(c, "deadlines_deadline", template=f"kind = 'order_autoconfirm' AND subject_id = {t['guest_order']}",
                       from_=f"orders_order o WHERE {rng} AND o.status = 'delivered'", params=p, set_={
                "kind": "'order_autoconfirm'", "subject_id": "o.id", "due_at": due, "created_at": "o.delivered_at",
                "fired_at": "NULL", "outcome": "''", "attempts": "0", "last_error": "''",
            })
            return n

        def outbox_() -> int:
            return clone(c, "notifications_outboxmessage", template="topic = 'email'",
                         from_=f"orders_order o WHERE {rng} AND o.buyer_id IS NULL AND o.status IN ('delivered', 'confirmed')", params=p, set_={
                "payload": "jsonb_build_object('to', o.contact, 'subject', '[kadun] 订单已发货', 'body', "
                           "'订单 ' || o.order_no || '（' || o.title || '）已自动发货，请在订单页查看卡密。')",
                "created_at": "o.delivered_at", "next_attempt_at": "o.delivered_at", "sent_at": "o.delivered_at + interval '1 second'",
                "attempts": "1", "last_error": "''", "dead": "false",
            })

        self.step("payments", payments)
        if trades:
            self.step("sandbox trades", sandbox_trades)
        if key_every:
            self.step(f"sold keys (every {key_every}. delivered/confirmed order)" if key_every > 1 else "sold keys", keys)
        if events:
            self.step("order events", events_)
        if ledger:
            self.step("ledger (escrow accounts, payment entries, postings)", ledger_)
        if deadlines:
            self.step("deadlines", deadlines_)
        if outbox:
            self.step("delivery e-mails (outbox, sent)", outbox_)

    def refund_requests(self, m: int, *, first: int, last: int, open_share: float = 0.01) -> int:
        """``m`` refund requests on random delivered/confirmed/refunded orders among ``first..last``:
        ``open_share`` of them open (awaiting the merchant, the order held), the rest closed."""
        t = self.w.templates
        c = self.conn
        base = max_id(c, "aftersales_refundrequest")

        def requests() -> int:
            status = (
                f"CASE WHEN o.status = 'refunded' THEN 'approved' WHEN o.r < {open_share} THEN 'awaiting_merchant' "
                "WHEN o.r < 0.4 THEN 'rejected' WHEN o.r < 0.7 THEN 'not_eligible' WHEN o.r < 0.85 THEN 'withdrawn' ELSE 'replaced' END"
            )
            from_ = """(SELECT o.*, row_number() OVER () AS g, random() AS r FROM (
                            SELECT * FROM orders_order WHERE id BETWEEN %s AND %s AND status IN ('delivered', 'confirmed', 'refunded')
                            ORDER BY random() LIMIT %s) o) o"""
            n = clone(c, "aftersales_refundrequest", template=f"id = {t['refund_request']}", from_=from_, params=(first, last, m), set_={
                "id": f"{base} + o.g", "request_no": f"'RB' || lpad(({base} + o.g)::text, 16, '0')", "order_id": "o.id",
                "shop_id": "o.shop_id",
                "key_ids": "'[]'::jsonb", "amount_requested": "o.amount",
                "amount_refunded": "CASE WHEN o.status = 'refunded' THEN o.amount ELSE 0 END",
                "status": status,
                "outcome": "CASE WHEN o.status = 'refunded' THEN 'approve' WHEN o.r >= 0.4 AND o.r < 0.7 THEN 'not_eligible' ELSE 'ask_merchant' END",
                "created_at": f"CASE WHEN o.r < {open_share} THEN now() - o.r / {open_share} * interval '20 hours' "
                              "ELSE coalesce(o.delivered_at, o.created_at) + interval '1 hour' END",
                "respond_by": f"CASE WHEN o.r < {open_share} THEN now() - o.r / {open_share} * interval '20 hours' + interval '24 hours' "
                              "ELSE coalesce(o.delivered_at, o.created_at) + interval '25 hours' END",
                "replace_by": "NULL", "client_key": "''",
                "resolved_at": f"CASE WHEN o.r < {open_share} AND o.status <> 'refunded' THEN NULL "
                               "ELSE coalesce(o.delivered_at, o.created_at) + interval '3 hours' END",
            })
            # An open request holds its order (as refund_request_create does through order_hold).
            c.execute(
                "UPDATE orders_order o SET refund_hold = true FROM aftersales_refundrequest r "
                "WHERE r.order_id = o.id AND r.id > %s AND r.status = 'awaiting_merchant'", (base,)
            )
            return n

        def events_() -> int:
            n = clone(c, "aftersales_refundevent", template=f"request_id = {t['refund_request']}",
                      from_="aftersales_refundrequest r WHERE r.id > %s", params=(base,), set_={
                "request_id": "r.id", "kind": "'requested'", "actor": "'buyer'", "note": "'卡密无效/已被使用：卡密提示已被使用'",
                "at": "r.created_at",
            })
            n += clone(c, "aftersales_refundevent", template=f"request_id = {t['refund_request']}",
                       from_="aftersales_refundrequest r WHERE r.id > %s", params=(base,), set_={
                "request_id": "r.id", "kind": "r.outcome", "actor": "'system'", "note": "r.explanation", "at": "r.created_at",
            })
            return n

        n = self.step(f"refund requests ({open_share:.0%} open)", requests)
        self.step("refund request events", events_)
        return n

    def finish(self, *, analyze: bool = True) -> None:
        def seqs() -> None:
            fix_sequences(self.conn, list(ALL_TABLES) + ["aftersales_refundevent"])

        self.step("sequences", seqs)
        if analyze:
            self.conn.commit()
            self.conn.autocommit = True
            try:
                t0 = time.perf_counter()
                self.conn.execute("VACUUM (ANALYZE)")
                self.timings["vacuum analyze"] = time.perf_counter() - t0
                self.say(f"  vacuum analyze: ({self.timings['vacuum analyze']:.1f} s)")
            finally:
                self.conn.autocommit = False


def table_sizes(url: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            """SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables
               WHERE n_live_tup > 0 ORDER BY pg_total_relation_size(relid) DESC"""
        ).fetchall()


def prepare(admin_url: str, db_name: str, say=print) -> tuple[str, dict, Path, dict, str]:
    """Create ``db_name`` (dropped first), migrate it, seed the templates through the services.
    Returns (db_url, env, var_dir, templates, template password)."""
    import secrets

    db_url = common.with_dbname(admin_url, db_name)
    var_dir, _port, env = common.private_site(db_url, "kadun-bench2-")
    say(f"creating database {db_name} and migrating it")
    common.recreate_database(admin_url, db_name)
    common.kadun(env, "migrate", "--noinput", "-v0")
    password = "Lp7-" + secrets.token_urlsafe(12)
    say("writing template rows through the services")
    templates = seed_templates(env, password)
    return db_url, env, var_dir, templates, password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default="kadun_bench2_gen")
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--buyers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--stock", type=int, default=20, help="keys in stock per product")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--key-every", type=int, default=10, help="every k-th delivered/confirmed order gets its sold key")
    parser.add_argument("--refund-requests", type=int, default=100_000)
    parser.add_argument("--no-events", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    admin_url = common.admin_url_from_env()
    say = common.sayer()

    db_url, env, var_dir, templates, _ = prepare(admin_url, args.db_name, say)
    try:
        with psycopg.connect(db_url) as conn:
            gen = Generator(conn, templates, say)
            t0 = time.perf_counter()
            gen.people(shops=args.shops, buyers=args.buyers)
            gen.catalog(products=args.products, keys_per_product=args.stock)
            first, last = gen.orders(args.orders, mix=PAGES_MIX)
            gen.order_rows(first, last, key_every=args.key_every, events=not args.no_events)
            if args.refund_requests:
                gen.refund_requests(args.refund_requests, first=first, last=last)
            gen.finish()
            say(f"generated in {time.perf_counter() - t0:.0f} s")
        for name, rows, size in table_sizes(db_url):
            print(f"  {name:<32}{rows:>12,}  {size}")
    finally:
        if not args.keep_db:
            common.drop_database(admin_url, args.db_name)
        else:
            env_file = Path(tempfile.gettempdir()) / f"{args.db_name}.env"
            env_file.write_text("".join(f"export {k}={env[k]}\n" for k in (
                "DATABASE_URL", "KADUN_CARD_KEYS", "KADUN_KEY_HASH_SECRET", "KADUN_SANDBOX_SECRET", "KADUN_EVIDENCE_SIGNING_KEY",
                "KADUN_EVIDENCE_HASH_SECRET", "SECRET_KEY")))
            print(f"kept database {args.db_name}; its environment (secrets) is in {env_file}")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
