"""One guest purchase through HTTP — checkout, gateway notification, lookup, reveal — costs a
known number of SQL statements (savepoints included), so it cannot silently grow; and what the
requests answer from objects in hand is what reading the rows again would answer.

The figures are those of ``bench/profile_purchase.py`` (outside a test transaction, hence
``transaction=True``). Each request's own budget; lower them when a change saves a statement.
"""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import make_product, make_user, signed_notification
from kadun.inventory.models import CardKey
from kadun.orders.models import Order, OrderEvent
from kadun.orders.schemas import order_out
from kadun.orders.selectors import BUYER

pytestmark = pytest.mark.django_db(transaction=True)

# The default rules exclude 7天无理由: checkout confirms it.
GUEST = {"contact": "guest@example.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": True}

# Per request: product (with shop), the selling gate (merchants.gate, below), stock, refund policy, order, event, checkout confirmation,
# expiry deadline (2), sandbox trade, payment | payment (with shop id), claim, accounts, entry,
# escrow account, postings, order (locked), key (skip locked), key sold, order delivered, event,
# auto-confirm deadline (2), e-mail | order (with payment), keys, events, checkout confirmations |
# order, key (guarded update that stamps the first reveal and returns the secret), reveal log;
# on PostgreSQL the key row is locked first, so the reveal's time is taken once it holds the row
# (a 验货 answer stored meanwhile is then always earlier: inventory.services._reveal_stamp).
# The selling gate at checkout reads, in the order its checks are registered: 封号 (a confirmed
# ban of the shop: one EXISTS), 资质审核 (the shop's selling_blocks), 跑路 (an active or disposing
# freeze: one EXISTS). The deposit check reads nothing here — kadun.testenv switches its refusal
# off (KADUN_DEPOSIT_ENFORCE_SELLING=0); switched on it makes six reads more (the shop's categories,
# its 30-day sales, last sale, credit score, deposit account, short mark) — and the credit score's
# per-order limit reads nothing for an amount within every band's limit (reputation.restrictions).
# The evidence log (docs/evidence.md) adds one INSERT at checkout (order + rules, event and
# confirmations together), three at the notification (the notification, the keys delivered, the
# event) and one at the reveal.
# 下单前提示 (orders.warnings) add two reads at checkout: the shop's confirmed orders (新商家;
# LIMIT 20, so it stays one short read at any size) and the shop's 已认证 badge with its deposit
# state (one query). The 超低价 median is one more row only for a product without a market price
# whose title names a face value (this one names none); the warnings go into the order's INSERT and
# the order's evidence INSERT, so they write nothing more. A shop marked short of deposit adds the
# live deposit position (six reads) to confirm it; this one is not marked.
# An order may have several payments (换一种支付方式): the lookup reads them in a query of their own
# (a reverse relation is not joined), and the notification's payment read says whether the order
# has others (an EXISTS in the same SELECT; only then does the success UPDATE need a savepoint).
# The payment watch (lost callbacks, docs/payments.md) adds one INSERT at checkout (the payment's
# first check) and one DELETE at the notification (that check, no longer needed).
BUDGET = {"checkout": 17, "notify": 18, "lookup": 5, "reveal": 5 if connection.vendor == "postgresql" else 4}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _statements(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    # Transaction control (SQLite shows its BEGIN IMMEDIATE and COMMIT; PostgreSQL does not) aside.
    return response, [q["sql"] for q in ctx.captured_queries if q["sql"].split(" ", 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def _purchase(client, product):
    spent = {}
    response, spent["checkout"] = _statements(
        lambda: client.post("/api/orders", {"product_id": product.pk, **GUEST}, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    created = response.json()
    order = Order.objects.get(order_no=created["order"]["order_no"])
    params = signed_notification(order)
    response, spent["notify"] = _statements(lambda: client.post("/pay/notify/sandbox/", params))
    assert response.content == b"success"
    headers = {"X-Order-Token": created["access_token"]}
    path = f"/api/orders/{order.order_no}"
    response, spent["lookup"] = _statements(lambda: client.get(path, headers=headers))
    assert response.status_code == 200
    looked_up = response.json()
    key_id = looked_up["keys"][0]["id"]
    response, spent["reveal"] = _statements(lambda: client.post(f"{path}/keys/{key_id}/reveal", headers=headers))
    assert response.status_code == 200
    return spent, created, looked_up, response.json()


def test_a_guest_purchase_stays_within_its_statement_budget():
    product = make_product(keys=3)
    client = Client()
    _purchase(client, product)  # the first purchase also opens the provider's external account

    spent, *_ = _purchase(client, product)

    counts = {step: len(sql) for step, sql in spent.items()}
    assert all(counts[step] <= BUDGET[step] for step in BUDGET), f"statements {counts}, budget {BUDGET}: {spent}"
    assert not any("SAVEPOINT" in sql for step in spent.values() for sql in step)


def test_checkout_answers_what_reading_the_order_again_answers():
    product = make_product(keys=2)

    _, created, _, _ = _purchase(Client(), product)  # the checkout response, before payment
    order = Order.objects.get(order_no=created["order"]["order_no"])
    again = Client().post("/api/orders", {"product_id": product.pk, **GUEST}, content_type="application/json").json()
    unpaid = Order.objects.get(order_no=again["order"]["order_no"])
    token = again["access_token"]

    read = Client().get(f"/api/orders/{unpaid.order_no}", headers={"X-Order-Token": token}).json()
    assert again["order"] == read
    assert read["payment"]["pay_url"] == again["pay_url"] != ""
    assert read["keys"] == [] and [e["kind"] for e in read["events"]] == ["created"]
    assert order.status == "delivered"


def test_lookup_with_its_payment_read_with_the_order_answers_as_before():
    import json

    from ninja.responses import NinjaJSONEncoder

    from kadun.orders.schemas import OrderOut

    product = make_product(keys=2)
    _, created, _, _ = _purchase(Client(), product)
    order = Order.objects.get(order_no=created["order"]["order_no"])

    looked_up = Client().get(f"/api/orders/{order.order_no}", headers={"X-Order-Token": created["access_token"]}).json()

    # order_out reading payment, keys and events itself, rendered as the API renders
    expected = json.loads(json.dumps(OrderOut.model_validate(order_out(order, BUYER)).model_dump(), cls=NinjaJSONEncoder))
    assert looked_up == expected
    assert looked_up["payment"]["status"] == "succeeded"
    assert [e["kind"] for e in looked_up["events"]] == ["created", "paid_delivered"]
    assert looked_up["keys"][0]["first_revealed_at"] is not None


def test_first_reveal_time_is_the_stored_one_on_first_and_later_reveals():
    product = make_product(keys=2)
    client = Client()
    _, created, _, first = _purchase(client, product)
    order = Order.objects.get(order_no=created["order"]["order_no"])
    key = CardKey.objects.get(order=order)
    headers = {"X-Order-Token": created["access_token"]}

    second, spent = _statements(lambda: client.post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal", headers=headers))
    shown = client.get(f"/api/orders/{order.order_no}", headers=headers).json()

    assert second.json()["first_revealed_at"] == first["first_revealed_at"] == shown["keys"][0]["first_revealed_at"]
    assert len(spent) == BUDGET["reveal"]  # the same guarded update: a later reveal keeps the first time
    key.refresh_from_db()
    assert key.first_revealed_at is not None


def test_a_logged_in_merchant_still_reads_its_order_through_the_orders_api():
    from kadun.accounts.services import api_key_create

    product = make_product(keys=1)
    _, created, _, _ = _purchase(Client(), product)
    _key, secret = api_key_create(user=product.shop.owner, name="t")

    read = Client(headers={"Authorization": f"Bearer {secret}"}).get(f"/api/orders/{created['order']['order_no']}")

    assert read.status_code == 200
    assert read.json()["viewer_role"] == "merchant" and read.json()["payment"] is None
    stranger = make_user()
    _key, other = api_key_create(user=stranger, name="t")
    assert Client(headers={"Authorization": f"Bearer {other}"}).get(f"/api/orders/{created['order']['order_no']}").status_code == 404
    assert OrderEvent.objects.filter(order__order_no=created["order"]["order_no"]).count() == 2
