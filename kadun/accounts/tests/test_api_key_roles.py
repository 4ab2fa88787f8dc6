"""An API key acts only in the roles its scopes name.

A merchant's ``buyer`` or ``buyer:read`` key is a buyer's key: through it the shop's own orders
are none of its business (404, like any order one may not see), never the merchant's view with
the buyer's inputs. The shop's orders are read as merchant with a ``merchant`` key, at
/api/merchant/orders. The website (session) is unaffected. Every endpoint that takes the order
endpoints' credentials (``ORDER_AUTH``) is checked."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_create

pytestmark = pytest.mark.django_db


def _client(user, *scopes) -> Client:
    _key, secret = api_key_create(user=user, name="t", scopes=list(scopes))
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def shop_order(db):
    """A guest's paid two-key order of the merchant's shop, with the guest's (approved) refund
    request for one key on it."""
    from kadun.aftersales.models import RefundRequest

    shop = make_shop()
    product = make_product(shop, keys=2)
    order, token, _ = buy(product, quantity=2)
    pay(order)
    key = order.keys.first()
    made = Client().post(f"/api/orders/{order.order_no}/refund-requests", {"reason": "unrevealed", "key_ids": [key.pk]},
                         content_type="application/json", headers={"X-Order-Token": token})
    assert made.status_code == 201, made.content
    return {"merchant": shop.owner, "order": order, "key": order.keys.exclude(pk=key.pk).first(),
            "request_no": RefundRequest.objects.get(order=order).request_no}


def _endpoints(o) -> list[tuple[str, str, dict | None]]:
    no, key_id, rr = o["order"].order_no, o["key"].pk, o["request_no"]
    return [
        ("GET", f"/api/orders/{no}", None),
        ("GET", f"/api/orders/{no}/refund-policy", None),
        ("GET", f"/api/orders/{no}/refund-requests", None),
        ("GET", f"/api/refund-requests/{rr}", None),
        ("POST", f"/api/orders/{no}/keys/{key_id}/reveal", None),
        ("POST", f"/api/orders/{no}/keys/{key_id}/verify", None),
        ("POST", f"/api/orders/{no}/confirm", None),
        ("POST", f"/api/orders/{no}/refund-requests", {"reason": "unrevealed", "key_ids": [key_id]}),
        ("POST", f"/api/refund-requests/{rr}/withdraw", None),
    ]


def _call(client: Client, method: str, path: str, body):
    if method == "GET":
        return client.get(path)
    return client.post(path, body or {}, content_type="application/json")


ENDPOINT_NAMES = ["order", "refund-policy", "refund-requests", "refund-request", "reveal", "verify", "confirm", "refund-create", "withdraw"]


@pytest.mark.parametrize("index", range(len(ENDPOINT_NAMES)), ids=ENDPOINT_NAMES)
def test_a_merchants_buyer_key_does_not_see_its_shops_order(shop_order, index):
    method, path, body = _endpoints(shop_order)[index]
    response = _call(_client(shop_order["merchant"], "buyer"), method, path, body)
    assert response.status_code == 404, response.content[:300]
    assert "buyer_inputs" not in response.content.decode()


@pytest.mark.parametrize("index", range(len(ENDPOINT_NAMES)), ids=ENDPOINT_NAMES)
def test_a_merchants_read_only_buyer_key_does_not_see_its_shops_order(shop_order, index):
    method, path, body = _endpoints(shop_order)[index]
    response = _call(_client(shop_order["merchant"], "buyer:read"), method, path, body)
    if method == "GET":
        assert response.status_code == 404, response.content[:300]
    else:
        assert (response.status_code, response.json()["code"]) == (403, "api_key_scope")


@pytest.mark.parametrize("index", range(len(ENDPOINT_NAMES)), ids=ENDPOINT_NAMES)
def test_a_merchant_key_is_refused_on_the_buyers_endpoints(shop_order, index):
    method, path, body = _endpoints(shop_order)[index]
    response = _call(_client(shop_order["merchant"], "merchant"), method, path, body)
    assert (response.status_code, response.json()["code"]) == (403, "api_key_scope")


def test_nothing_changed_through_the_buyer_key(shop_order):
    from kadun.aftersales.models import RefundRequest
    from kadun.inventory.models import Reveal

    client = _client(shop_order["merchant"], "buyer")
    for method, path, body in _endpoints(shop_order):
        _call(client, method, path, body)
    order = shop_order["order"]
    order.refresh_from_db()
    assert order.status == "delivered"
    assert not Reveal.objects.exists()
    assert list(RefundRequest.objects.filter(order=order).values_list("status", flat=True)) == ["approved"]


def test_a_merchant_key_reads_the_shops_order_as_merchant(db):
    shop = make_shop()
    product = make_product(shop, delivery="manual")
    order, _token, _ = buy(product, buyer_inputs={"account": "player-1"})
    pay(order)
    response = _client(shop.owner, "merchant:read").get(f"/api/merchant/orders/{order.order_no}")
    assert response.status_code == 200
    assert response.json()["buyer_inputs"] == {"account": "player-1"}
    # The same merchant's buyer key: not as merchant, not at all.
    assert _client(shop.owner, "buyer").get(f"/api/orders/{order.order_no}").status_code == 404


def test_a_merchants_buyer_key_reads_the_merchants_own_purchase(shop_order):
    merchant = shop_order["merchant"]
    order, _, _ = buy(make_product(keys=1), buyer=merchant)
    response = _client(merchant, "buyer:read").get(f"/api/orders/{order.order_no}")
    assert response.status_code == 200
    assert response.json()["order_no"] == order.order_no


def test_a_key_with_both_scopes_reads_the_shops_order_as_merchant(shop_order):
    response = _client(shop_order["merchant"], "buyer", "merchant").get(f"/api/orders/{shop_order['order'].order_no}")
    assert response.status_code == 200
    assert response.json()["payment"] is None  # the merchant's view, not the buyer's


def test_a_staff_members_buyer_key_is_not_the_staff(shop_order):
    staff = make_user(staff_role="support")
    response = _client(staff, "buyer").get(f"/api/orders/{shop_order['order'].order_no}")
    assert response.status_code == 404


def test_the_merchants_session_still_sees_the_shops_order(shop_order):
    client = Client()
    client.force_login(shop_order["merchant"])
    assert client.get(f"/api/orders/{shop_order['order'].order_no}").status_code == 200
