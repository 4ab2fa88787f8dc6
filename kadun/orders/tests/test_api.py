"""The orders API through real HTTP calls: who may read an order, reveal a key, confirm."""
import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from conftest import buy, make_product, make_user, pay
from kadun.accounts.services import api_key_create, api_key_revoke
from kadun.core import clock
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, Reveal
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db

# The default rules exclude 7天无理由: checkout confirms it.
GUEST = {"contact": "guest@example.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": True}


def bearer(user) -> dict:
    _key, secret = api_key_create(user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


def token_header(token: str) -> dict:
    return {"X-Order-Token": token}


def post_json(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def plaintexts(order) -> list[str]:
    return [crypto.decrypt(k.secret) for k in CardKey.objects.filter(order=order).order_by("id")]


def paid_order(product, *, buyer=None, quantity=1):
    order, token, _ = buy(product, buyer=buyer, quantity=quantity)
    return pay(order), token


def assert_order_not_found(response):
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_guest_creates_an_order_and_reads_it_with_its_token(product):
    response = post_json(Client(), "/api/orders", {"product_id": product.pk, "quantity": 2, **GUEST})

    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get(order_no=body["order"]["order_no"])
    assert order.buyer is None and order.amount == 2000 and order.status == OrderStatus.PENDING_PAYMENT
    assert body["access_token"] and body["pay_url"] == settings.SITE_URL + order.payment.pay_url
    assert body["order"]["amount"] == 2000 and body["order"]["viewer_role"] == "buyer"

    pay(order)
    read = Client().get(f"/api/orders/{order.order_no}", headers=token_header(body["access_token"]))

    assert read.status_code == 200
    seen = read.json()
    assert seen["status"] == "delivered" and seen["viewer_role"] == "buyer"
    assert seen["payment"] == {
        "provider": "sandbox", "out_trade_no": order.payment.out_trade_no, "status": "succeeded", "pay_url": settings.SITE_URL + order.payment.pay_url,
    }
    assert [k["index"] for k in seen["keys"]] == [1, 2]
    assert all(k["first_revealed_at"] is None for k in seen["keys"])
    for secret in plaintexts(order):
        assert secret.encode() not in read.content
    assert "no-store" in read["Cache-Control"]


def test_order_is_404_without_its_token_with_a_wrong_one_or_another_orders(product):
    order, _ = paid_order(product)
    _other, other_token = paid_order(product)
    client = Client()

    answers = [
        client.get(f"/api/orders/{order.order_no}"),
        client.get(f"/api/orders/{order.order_no}", headers=token_header("not-the-token")),
        client.get(f"/api/orders/{order.order_no}", headers=token_header(other_token)),
        client.get("/api/orders/209901010000000000", headers=token_header(other_token)),
    ]

    for response in answers:
        assert_order_not_found(response)
    assert len({r.content for r in answers}) == 1  # indistinguishable from a missing order
    for secret in plaintexts(order):
        assert all(secret.encode() not in r.content for r in answers)


def test_buyer_cannot_read_or_reveal_another_buyers_order(product):
    alice, bob = make_user(), make_user()
    bobs_order, _ = paid_order(product, buyer=bob)
    bobs_key = CardKey.objects.get(order=bobs_order)
    as_alice = Client(headers=bearer(alice))

    read = as_alice.get(f"/api/orders/{bobs_order.order_no}")
    reveal = as_alice.post(f"/api/orders/{bobs_order.order_no}/keys/{bobs_key.pk}/reveal")

    assert_order_not_found(read)
    assert_order_not_found(reveal)
    secret = crypto.decrypt(bobs_key.secret).encode()
    assert secret not in read.content and secret not in reveal.content
    assert not Reveal.objects.exists()


def test_buyer_cannot_reveal_another_orders_key_under_own_order_number(product):
    alice, bob = make_user(), make_user()
    alices_order, _ = paid_order(product, buyer=alice)
    bobs_order, _ = paid_order(product, buyer=bob)
    as_alice = Client()
    as_alice.force_login(alice)
    bobs_key_ids = list(CardKey.objects.filter(order=bobs_order).values_list("id", flat=True))

    for key_id in bobs_key_ids + [max(bobs_key_ids) + 1000]:
        response = as_alice.post(f"/api/orders/{alices_order.order_no}/keys/{key_id}/reveal")
        assert response.status_code == 404
        assert response.json()["code"] == "key_not_found"
        for secret in plaintexts(bobs_order):
            assert secret.encode() not in response.content

    assert not Reveal.objects.exists()
    assert not CardKey.objects.filter(order=bobs_order, first_revealed_at__isnull=False).exists()


def test_merchant_reads_own_order_but_cannot_reveal_its_keys(shop):
    product = make_product(shop, keys=2)
    order, _ = paid_order(product, buyer=make_user())
    key = CardKey.objects.get(order=order)
    as_merchant = Client(headers=bearer(shop.owner))

    read = as_merchant.get(f"/api/orders/{order.order_no}")
    reveal = as_merchant.post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal")
    merchant_view = as_merchant.get(f"/api/merchant/orders/{order.order_no}")

    assert read.status_code == 200
    assert read.json()["viewer_role"] == "merchant" and read.json()["payment"] is None
    assert read.json()["keys"][0]["masked"].startswith("•")
    assert merchant_view.status_code == 200
    assert reveal.status_code == 404
    secret = crypto.decrypt(key.secret).encode()
    for response in (read, reveal, merchant_view):
        assert secret not in response.content
    assert not Reveal.objects.exists()


def test_staff_sees_the_order_without_payment_or_buyer_inputs_and_cannot_reveal(shop):
    staff = make_user(staff_role="support")
    product = make_product(shop, keys=1)
    order, _ = paid_order(product)
    key = CardKey.objects.get(order=order)
    as_staff = Client()  # staff act as staff on the website's session; an API key is a buyer or a merchant
    as_staff.force_login(staff)

    read = as_staff.get(f"/api/orders/{order.order_no}")
    reveal = as_staff.post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal")

    assert read.status_code == 200
    assert read.json()["viewer_role"] == "staff"
    assert read.json()["payment"] is None and read.json()["buyer_inputs"] is None
    assert reveal.status_code == 404
    assert crypto.decrypt(key.secret).encode() not in reveal.content
    assert not Reveal.objects.exists()


def test_buyer_reveal_returns_the_key_and_records_ip_and_first_reveal(product):
    buyer = make_user()
    order, _ = paid_order(product, buyer=buyer)
    key = CardKey.objects.get(order=order)
    client = Client(headers={**bearer(buyer), "User-Agent": "kadun-test/1.0"})
    url = f"/api/orders/{order.order_no}/keys/{key.pk}/reveal"

    first = client.post(url, REMOTE_ADDR="203.0.113.7")
    clock.advance(dt.timedelta(minutes=5))
    second = client.post(url, REMOTE_ADDR="198.51.100.2")

    assert first.status_code == 200
    assert first.json()["secret"] == crypto.decrypt(key.secret)
    assert "no-store" in first["Cache-Control"]
    key.refresh_from_db()
    assert key.first_revealed_at is not None
    assert second.json()["first_revealed_at"] == first.json()["first_revealed_at"]
    reveals = list(Reveal.objects.filter(key=key))
    assert [(r.ip, r.actor, r.user_id, r.user_agent) for r in reveals] == [
        ("203.0.113.7", "buyer", buyer.pk, "kadun-test/1.0"),
        ("198.51.100.2", "buyer", buyer.pk, "kadun-test/1.0"),
    ]
    shown = Client(headers=bearer(buyer)).get(f"/api/orders/{order.order_no}").json()
    assert shown["keys"][0]["first_revealed_at"] is not None


def test_guest_reveals_with_the_order_token_logged_as_guest(product):
    order, token = paid_order(product)
    key = CardKey.objects.get(order=order)

    response = Client().post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal", headers=token_header(token), REMOTE_ADDR="192.0.2.9")

    assert response.status_code == 200
    assert response.json()["secret"] == crypto.decrypt(key.secret)
    reveal = Reveal.objects.get()
    assert (reveal.actor, reveal.user, reveal.ip) == ("guest", None, "192.0.2.9")


def test_bad_input_is_422_invalid_input_and_creates_nothing(product):
    client = Client()
    bad_bodies = [
        {"quantity": 1, **GUEST},  # no product
        {"product_id": product.pk, "quantity": "many", **GUEST},
        {"product_id": product.pk, "quantity": 0, **GUEST},
        {"product_id": product.pk, "buyer_inputs": ["not", "a", "dict"], **GUEST},
        {"product_id": product.pk, "contact": "x" * 121, "query_password": "chaxun123"},
    ]

    for body in bad_bodies:
        response = post_json(client, "/api/orders", body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_input"
        assert response.json()["message"]
    broken = client.post("/api/orders", "{not json", content_type="application/json")

    assert broken.status_code == 422 and broken.json()["code"] == "invalid_input"
    assert not Order.objects.exists()


def test_guest_without_contact_is_refused_and_nothing_is_created(product):
    response = post_json(Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True})

    assert response.status_code == 400
    assert response.json()["code"] == "contact_required"
    assert not Order.objects.exists()


def test_out_of_stock_is_409_and_creates_nothing(shop):
    product = make_product(shop, keys=1)

    response = post_json(Client(), "/api/orders", {"product_id": product.pk, "quantity": 2, **GUEST})

    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert not Order.objects.exists()


def test_logged_in_buyer_gets_no_access_token_and_owns_the_order(product):
    buyer = make_user()

    response = post_json(Client(headers=bearer(buyer)), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True})

    assert response.status_code == 201
    assert response.json()["access_token"] is None
    assert Order.objects.get().buyer == buyer


def test_revoked_api_key_is_401_not_anonymous(product):
    buyer = make_user()
    key, secret = api_key_create(user=buyer, name="ci")
    order, _ = paid_order(product, buyer=buyer)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(f"/api/orders/{order.order_no}").status_code == 200

    api_key_revoke(user=buyer, key_id=key.pk)
    answers = [
        client.get(f"/api/orders/{order.order_no}"),
        client.get("/api/products"),
        post_json(client, "/api/orders", {"product_id": product.pk, **GUEST}),
    ]

    for response in answers:
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_api_key"
    assert Order.objects.count() == 1


def test_session_post_without_csrf_token_is_refused(product):
    buyer = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    refused = post_json(client, "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True})

    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert not Order.objects.exists()
    # The same session with Django's CSRF cookie + header goes through.
    client.cookies["csrftoken"] = "a" * 32
    accepted = post_json(client, "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True}, headers={"X-CSRFToken": "a" * 32})
    assert accepted.status_code == 201
    assert Order.objects.get().buyer == buyer


def test_session_reveal_without_csrf_token_is_refused(product):
    buyer = make_user()
    order, _ = paid_order(product, buyer=buyer)
    key = CardKey.objects.get(order=order)
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal")

    assert response.status_code == 403
    assert crypto.decrypt(key.secret).encode() not in response.content
    assert not Reveal.objects.exists()


def test_buyer_confirms_and_the_merchant_is_credited_to_the_fen(shop):
    product = make_product(shop, keys=1, price=1999)
    order, token = paid_order(product)

    response = Client().post(f"/api/orders/{order.order_no}/confirm", headers=token_header(token))

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert response.json()["events"][-1]["actor"] == "guest"
    assert balance_of(codes.escrow(order.pk)) == 0
    assert balance_of(codes.merchant_pending(shop.pk)) == 1959


def test_merchant_cannot_confirm_for_the_buyer(shop):
    product = make_product(shop, keys=1)
    order, _ = paid_order(product)

    response = Client(headers=bearer(shop.owner)).post(f"/api/orders/{order.order_no}/confirm")

    assert response.status_code == 403
    assert response.json()["code"] == "not_the_buyer"
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert balance_of(codes.escrow(order.pk)) == 1000


def test_confirming_an_unpaid_order_is_409(product):
    order, token, _ = buy(product)

    response = Client().post(f"/api/orders/{order.order_no}/confirm", headers=token_header(token))

    assert response.status_code == 409
    assert response.json()["code"] == "not_confirmable"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_openapi_lists_the_paths_auth_and_error_responses():
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path in [
        "/api/products", "/api/products/{product_id}", "/api/orders", "/api/orders/{order_no}",
        "/api/orders/{order_no}/keys/{key_id}/reveal", "/api/orders/{order_no}/confirm",
        "/api/merchant/products", "/api/merchant/products/{product_id}", "/api/merchant/products/{product_id}/keys",
        "/api/merchant/orders", "/api/merchant/orders/{order_no}", "/api/merchant/orders/{order_no}/accept",
        "/api/merchant/orders/{order_no}/deliver", "/api/merchant/balances", "/api/merchant/api-keys",
        "/api/merchant/api-keys/{key_id}",
    ]:
        assert path in paths, path
    reveal = paths["/api/orders/{order_no}/keys/{key_id}/reveal"]["post"]
    assert {"200", "401", "404"} <= set(reveal["responses"])
    assert reveal["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert {"201", "409", "422"} <= set(paths["/api/orders"]["post"]["responses"])
    assert "403" in paths["/api/merchant/products"]["get"]["responses"]
    assert set(spec["components"]["securitySchemes"]) == {"ApiKeyAuth", "SessionAuth", "OrderTokenAuth"}
    assert Client().get("/api/docs").status_code == 200
