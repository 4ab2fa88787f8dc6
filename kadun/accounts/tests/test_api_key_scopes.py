"""API key scopes: a shop's integration key (``merchant``) can't buy or ask for refunds, a buyer's
key can't run the shop, read-only keys only read. Enforced when the key authenticates; the
session (the website) is unaffected."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.models import ApiKey
from kadun.accounts.services import api_key_create
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db


def _client(user, *scopes) -> Client:
    _key, secret = api_key_create(user=user, name="t", scopes=list(scopes))
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _refused(response) -> bool:
    return response.status_code == 403 and response.json()["code"] == "api_key_scope"


@pytest.fixture
def merchant(db):
    shop = make_shop()
    make_product(shop, keys=3)
    return shop.owner


def test_a_merchant_key_cannot_buy(merchant):
    product = make_product(keys=2)  # another shop's
    response = _client(merchant, "merchant").post(
        "/api/orders", {"product_id": product.pk, "quantity": 1, "confirm_no_reason_exclusion": True}, content_type="application/json"
    )
    assert _refused(response)
    assert "权限" in response.json()["message"]
    assert not Order.objects.filter(buyer=merchant).exists()


def test_a_merchant_key_cannot_request_a_refund_of_its_owners_purchase(merchant):
    order, _, _ = buy(make_product(keys=2), buyer=merchant)
    pay(order)
    client = _client(merchant, "merchant")
    response = client.post(f"/api/orders/{order.order_no}/refund-requests", {"reason": "unrevealed"}, content_type="application/json")
    assert _refused(response)
    from kadun.aftersales.models import RefundRequest

    assert not RefundRequest.objects.exists()


def test_a_merchant_key_cannot_reveal_its_owners_keys(merchant):
    order, _, _ = buy(make_product(keys=2), buyer=merchant)
    pay(order)
    key_id = order.keys.first().pk
    response = _client(merchant, "merchant").post(f"/api/orders/{order.order_no}/keys/{key_id}/reveal")
    assert _refused(response)
    from kadun.inventory.models import Reveal

    assert not Reveal.objects.exists()


def test_a_merchant_key_runs_the_shop(merchant):
    client = _client(merchant, "merchant")
    assert client.get("/api/merchant/products").status_code == 200
    assert client.get("/api/merchant/refund-requests").status_code == 200
    created = client.post(
        "/api/merchant/products", {"title": "新商品", "price": 500, "delivery": "auto", "category": "game_card"}, content_type="application/json"
    )
    assert created.status_code == 201


def test_a_buyer_key_cannot_touch_the_shop(merchant):
    client = _client(merchant, "buyer")
    assert _refused(client.get("/api/merchant/products"))
    assert _refused(client.get("/api/merchant/refund-requests"))
    new_product = {"title": "x", "price": 500, "delivery": "auto", "category": "game_card"}
    assert _refused(client.post("/api/merchant/products", new_product, content_type="application/json"))


def test_a_buyer_key_buys_and_reveals():
    buyer = make_user()
    client = _client(buyer, "buyer")
    product = make_product(keys=2)
    created = client.post("/api/orders", {"product_id": product.pk, "quantity": 1, "confirm_no_reason_exclusion": True}, content_type="application/json")
    assert created.status_code == 201
    order = Order.objects.get(order_no=created.json()["order"]["order_no"])
    pay(order)
    key_id = order.keys.first().pk
    revealed = client.post(f"/api/orders/{order.order_no}/keys/{key_id}/reveal")
    assert revealed.status_code == 200 and revealed.json()["secret"].startswith("KEY-")


def test_a_read_only_merchant_key_reads_but_cannot_write(merchant):
    client = _client(merchant, "merchant:read")
    assert client.get("/api/merchant/orders").status_code == 200
    assert client.get("/api/merchant/balances").status_code == 200
    new_product = {"title": "x", "price": 500, "delivery": "auto", "category": "game_card"}
    assert _refused(client.post("/api/merchant/products", new_product, content_type="application/json"))


def test_a_read_only_buyer_key_reads_orders_but_cannot_reveal():
    buyer = make_user()
    order, _, _ = buy(make_product(keys=2), buyer=buyer)
    pay(order)
    client = _client(buyer, "buyer:read")
    assert client.get(f"/api/orders/{order.order_no}").status_code == 200
    assert _refused(client.post(f"/api/orders/{order.order_no}/keys/{order.keys.first().pk}/reveal"))


def test_public_reads_accept_any_key(merchant):
    assert _client(merchant, "merchant:read").get("/api/products").status_code == 200


def test_the_session_is_unaffected_by_scopes(merchant):
    client = Client()
    client.force_login(merchant)
    assert client.get("/api/merchant/products").status_code == 200
    product = make_product(keys=2)
    response = client.post("/api/orders", {"product_id": product.pk, "quantity": 1, "confirm_no_reason_exclusion": True}, content_type="application/json")
    assert response.status_code == 201


def test_keys_are_created_with_chosen_scopes_on_the_merchant_page(merchant):
    client = Client()
    client.force_login(merchant)
    response = client.post("/account/api-keys/", {"name": "ERP 对接", "scopes": ["merchant:read"]}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(user=merchant, name="ERP 对接")
    assert key.scopes == ["merchant:read"]
    page = client.get("/account/api-keys/").content.decode()
    assert re.search(r"ERP 对接.*?商家（只读）", page, re.S)


def test_a_key_without_any_scope_is_refused_on_the_merchant_page(merchant):
    client = Client()
    client.force_login(merchant)
    response = client.post("/account/api-keys/", {"name": "空"})
    assert response.status_code == 400
    assert not ApiKey.objects.filter(name="空").exists()


def test_keys_are_created_with_chosen_scopes_through_the_api(merchant):
    client = Client()
    client.force_login(merchant)
    response = client.post("/api/merchant/api-keys", {"name": "下单脚本", "scopes": ["buyer"]}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["key"]["scopes"] == ["buyer"]
    assert ApiKey.objects.get(name="下单脚本").scopes == ["buyer"]
    listed = client.get("/api/merchant/api-keys").json()
    assert listed[0]["scopes"] == ["buyer"]
    bad = client.post("/api/merchant/api-keys", {"name": "x", "scopes": ["admin"]}, content_type="application/json")
    assert bad.status_code == 422


MIGRATION = "0002_apikey_scopes"


@pytest.mark.django_db(transaction=True)
def test_existing_keys_migrate_to_the_merchant_scope():
    """Keys made before scopes were a shop's integration keys: they keep running the shop, and no
    longer buy (docs/deploy.md)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old = executor.loader.project_state([("accounts", "0001_initial")]).apps
    user = old.get_model("accounts", "User").objects.create(username="before-scopes", password="!")
    from kadun.core import clock

    old.get_model("accounts", "ApiKey").objects.create(user=user, name="old", prefix="abc123", secret_hash="0" * 64, created_at=clock.now())
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert ApiKey.objects.get(prefix="abc123").scopes == ["merchant"]
