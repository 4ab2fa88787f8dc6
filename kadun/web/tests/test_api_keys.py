"""Every logged-in user's API keys: /account/api-keys/ (and /api/account/api-keys).

A buyer without a shop gets buyer keys there (docs/deploy.md: a script that buys uses a ``buyer``
key); merchant scopes are offered, and accepted, only from a shop's owner. Creating is POST →
redirect → GET with the secret shown once; the merchant back office links to the same page."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.models import ApiKey
from kadun.accounts.services import api_key_authenticate
from kadun.merchants.tests.html import section

pytestmark = pytest.mark.django_db

URL = "/account/api-keys/"


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _offered_scopes(html: str) -> list[str]:
    return re.findall(r'name="scopes" value="([^"]+)"', html)


def test_a_buyer_without_a_shop_creates_a_buyer_key_and_buys_with_it():
    buyer = make_user()
    client = _logged_in(buyer)
    page = client.get(URL)
    assert page.status_code == 200
    assert _offered_scopes(page.content.decode()) == ["buyer", "buyer:read"]

    created = client.post(URL, {"name": "下单脚本", "scopes": ["buyer"]})
    assert created.status_code == 302
    assert created["Location"].split("#")[0] == URL
    shown = client.get(URL)
    secret = section(shown.content.decode(), "new-api-key-secret")
    assert shown["Cache-Control"] == "no-store, private"
    assert secret not in created["Location"]
    assert api_key_authenticate(secret) == buyer
    assert secret not in client.get(URL).content.decode()  # a refresh shows it no more

    product = make_product(keys=1)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    order = api.post("/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True}, content_type="application/json")
    assert order.status_code == 201
    assert order.json()["access_token"] is None  # bought as the user, not as a guest
    from kadun.orders.models import Order

    assert Order.objects.get(order_no=order.json()["order"]["order_no"]).buyer == buyer


def test_a_buyer_without_a_shop_cannot_create_a_merchant_key():
    buyer = make_user()
    response = _logged_in(buyer).post(URL, {"name": "偷偷的商家密钥", "scopes": ["merchant"]})
    assert response.status_code == 400
    assert "merchant" not in _offered_scopes(response.content.decode())
    assert not ApiKey.objects.filter(user=buyer).exists()


def test_a_shop_owner_is_offered_every_scope():
    merchant = make_shop().owner
    page = _logged_in(merchant).get(URL).content.decode()
    assert _offered_scopes(page) == ["buyer", "buyer:read", "merchant", "merchant:read"]


def test_the_merchant_back_office_sends_to_the_same_page():
    merchant = make_shop().owner
    client = _logged_in(merchant)
    response = client.get("/merchant/api-keys/")
    assert response.status_code == 302 and response["Location"] == URL
    assert URL in client.get("/merchant/").content.decode()


def test_my_orders_links_to_the_api_key_page():
    assert URL in _logged_in(make_user()).get("/orders/mine/").content.decode()


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in():
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_revoking_a_key_stops_it_and_another_users_key_is_not_found():
    from kadun.accounts.services import api_key_create

    buyer = make_user()
    client = _logged_in(buyer)
    key, secret = api_key_create(user=buyer, name="旧脚本", scopes=["buyer"])
    other_key, other_secret = api_key_create(user=make_user(), name="别人的密钥", scopes=["buyer"])

    assert client.post(f"{URL}{key.pk}/revoke/").status_code == 302
    assert api_key_authenticate(secret) is None
    refused = client.post(f"{URL}{other_key.pk}/revoke/", follow=True)
    assert "API 密钥不存在" in refused.content.decode()
    assert api_key_authenticate(other_secret) is not None
    assert "别人的密钥" not in client.get(URL).content.decode()


def test_the_api_creates_a_buyer_key_for_a_user_without_a_shop():
    buyer = make_user()
    client = _logged_in(buyer)
    created = client.post("/api/account/api-keys", {"name": "脚本", "scopes": ["buyer"]}, content_type="application/json")
    assert created.status_code == 201
    assert api_key_authenticate(created.json()["secret"]) == buyer
    assert [k["name"] for k in client.get("/api/account/api-keys").json()] == ["脚本"]


def test_the_api_refuses_merchant_scopes_to_a_user_without_a_shop():
    buyer = make_user()
    response = _logged_in(buyer).post("/api/account/api-keys", {"name": "x", "scopes": ["merchant:read"]}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_scopes"
    assert not ApiKey.objects.exists()


def test_the_api_creates_keys_only_from_a_session():
    from kadun.accounts.services import api_key_create

    buyer = make_user()
    _key, secret = api_key_create(user=buyer, name="k", scopes=["buyer"])
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    response = api.post("/api/account/api-keys", {"name": "自我复制", "scopes": ["buyer"]}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "session_required"
    assert ApiKey.objects.filter(user=buyer).count() == 1
    assert api.get("/api/account/api-keys").status_code == 200


def test_a_buyer_key_made_on_the_page_reads_the_buyers_order():
    buyer = make_user()
    order, _, _ = buy(make_product(keys=1), buyer=buyer)
    pay(order)
    client = _logged_in(buyer)
    client.post(URL, {"name": "只读", "scopes": ["buyer:read"]})
    secret = section(client.get(URL).content.decode(), "new-api-key-secret")
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get(f"/api/orders/{order.order_no}")
    assert response.status_code == 200
