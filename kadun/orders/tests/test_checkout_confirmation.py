"""Checkout of a product whose rules exclude 7天无理由: the buyer's per-purchase confirmation
(暂行办法 §20) is required on every channel, stored with the order, and it is what the refund
engine relies on — through the API over HTTP."""
import hashlib

import pytest
from django.test import Client

from conftest import make_product, make_user, pay
from kadun.accounts.services import api_key_create
from kadun.deadlines.models import Deadline
from kadun.orders.models import CheckoutConfirmation, Order
from kadun.payments.models import Payment

pytestmark = pytest.mark.django_db

GUEST = {"contact": "guest@example.com", "query_password": "chaxun123"}
AUTO_TEXT = "我已知悉：本商品为数字商品，一经发货不适用七天无理由退货（卡密未查看时仍可按规则即时退款）。"


def post_json(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def bearer(user) -> dict:
    _key, secret = api_key_create(user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


def test_api_refuses_an_excluded_product_without_the_confirmation_and_creates_nothing(product):
    for body in ({"product_id": product.pk, **GUEST}, {"product_id": product.pk, "confirm_no_reason_exclusion": False, **GUEST}):
        response = post_json(Client(), "/api/orders", body)

        assert response.status_code == 400, body
        assert response.json()["code"] == "no_reason_confirmation_required"
        assert "七天无理由" in response.json()["message"]
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert not Deadline.objects.exists()
    assert not CheckoutConfirmation.objects.exists()


@pytest.mark.parametrize("value", ["yes", "true", "on", 1, "1", 1.0, [True], {"": True}])
def test_only_json_true_confirms_the_exclusion(product, value):
    """A strict boolean: "yes", 1 or "true" is no confirmation of anything (422, the schema's
    answer), and nothing is created."""
    response = post_json(Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": value, **GUEST})

    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"][0]["loc"][-1] == "confirm_no_reason_exclusion"
    assert not Order.objects.exists()
    assert not CheckoutConfirmation.objects.exists()


def test_api_refuses_a_logged_in_buyer_without_the_confirmation_too(product):
    response = post_json(Client(headers=bearer(make_user())), "/api/orders", {"product_id": product.pk})

    assert response.status_code == 400 and response.json()["code"] == "no_reason_confirmation_required"
    assert not Order.objects.exists()


def test_api_with_the_confirmation_stores_its_text_channel_and_time(product):
    response = post_json(Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True, **GUEST})

    assert response.status_code == 201
    order = Order.objects.get(order_no=response.json()["order"]["order_no"])
    assert order.no_reason_waived is True
    confirmation = CheckoutConfirmation.objects.get(order=order)
    assert confirmation.kind == "no_reason_exclusion" and confirmation.channel == "api"
    assert confirmation.text == AUTO_TEXT
    assert confirmation.text_sha256 == hashlib.sha256(AUTO_TEXT.encode()).hexdigest()
    assert confirmation.at == order.created_at
    shown = response.json()["order"]["checkout_confirmations"]
    assert [(c["kind"], c["text"], c["channel"], c["text_sha256"]) for c in shown] == [
        ("no_reason_exclusion", AUTO_TEXT, "api", confirmation.text_sha256)
    ]
    # Reading the order again answers the same, to the buyer and to the merchant who sold it.
    read = Client().get(f"/api/orders/{order.order_no}", headers={"X-Order-Token": response.json()["access_token"]}).json()
    assert read["checkout_confirmations"] == shown
    merchant = Client(headers=bearer(product.shop.owner)).get(f"/api/orders/{order.order_no}").json()
    assert merchant["viewer_role"] == "merchant" and merchant["checkout_confirmations"] == shown


def test_api_stores_the_chinese_text_whatever_the_callers_language(product):
    response = post_json(
        Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True, **GUEST}, headers={"Accept-Language": "en"}
    )

    assert response.status_code == 201
    assert CheckoutConfirmation.objects.get().text == AUTO_TEXT


def test_a_service_excluding_7_days_needs_the_confirmation_with_its_own_text(shop):
    service = make_product(shop, delivery="manual", price=3000)
    body = {"product_id": service.pk, "buyer_inputs": {"account": "player-1"}, **GUEST}

    refused = post_json(Client(), "/api/orders", body)
    accepted = post_json(Client(), "/api/orders", {**body, "confirm_no_reason_exclusion": True})

    assert refused.status_code == 400 and refused.json()["code"] == "no_reason_confirmation_required"
    assert accepted.status_code == 201
    assert "本服务为数字服务，不适用七天无理由退货" in CheckoutConfirmation.objects.get().text


def test_a_product_allowing_7_days_needs_no_confirmation_and_records_none(shop):
    product = make_product(shop, keys=2, refund_rules={"no_reason_7days": True})

    plain = post_json(Client(), "/api/orders", {"product_id": product.pk, **GUEST})
    ticked = post_json(Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True, **GUEST})

    assert plain.status_code == ticked.status_code == 201
    assert plain.json()["order"]["checkout_confirmations"] == ticked.json()["order"]["checkout_confirmations"] == []
    assert not CheckoutConfirmation.objects.exists()
    assert not Order.objects.filter(no_reason_waived=True).exists()


def test_openapi_documents_the_field_and_the_error_code(db):
    spec = Client().get("/api/openapi.json").json()
    field = spec["components"]["schemas"]["OrderCreateIn"]["properties"]["confirm_no_reason_exclusion"]
    assert field["type"] == "boolean" and field["default"] is False
    assert AUTO_TEXT in field["description"] and "no_reason_confirmation_required" in field["description"]
    assert "no_reason_confirmation_required" in spec["paths"]["/api/orders"]["post"]["description"]
    assert "checkout_confirmations" in spec["components"]["schemas"]["OrderOut"]["properties"]


def test_confirmed_over_the_api_a_revealed_key_is_not_refunded_for_no_reason(product):
    """The hole: an API buyer revealed the key and then asked for a full refund under 7天无理由."""
    created = post_json(Client(), "/api/orders", {"product_id": product.pk, "confirm_no_reason_exclusion": True, **GUEST}).json()
    order = pay(Order.objects.get(order_no=created["order"]["order_no"]))
    client = Client(headers={"X-Order-Token": created["access_token"]})
    key_id = client.get(f"/api/orders/{order.order_no}").json()["keys"][0]["id"]
    assert client.post(f"/api/orders/{order.order_no}/keys/{key_id}/reveal").status_code == 200

    response = post_json(client, f"/api/orders/{order.order_no}/refund-requests", {"reason": "other", "key_ids": [key_id]})

    assert response.status_code == 201
    body = response.json()
    no_reason = next(c["no"] for c in order.policy_snapshot["clauses"] if c["id"] == "no_reason")
    assert body["status"] == "not_eligible" and body["amount_refunded"] == 0
    assert no_reason in body["clauses"] and f"第{no_reason}条" in body["explanation"]
    order.refresh_from_db()
    assert order.status == "delivered" and order.refunded_amount == 0
