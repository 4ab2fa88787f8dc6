"""售后保险 through HTTP: the tick on the product page and ``insure`` on the API, the cover on the
order page and its API (who may see it), and the staff pool page and API."""
from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_product, make_user, pay
from kadun.insurance.models import Cover
from kadun.insurance.tests.helpers import POOL, fund_pool, ledger_clean
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
GUEST = {"contact": "guest@example.com", "query_password": "chaxun123"}


def _api_order(client, product, **extra):
    return client.post("/api/orders", {"product_id": product.pk, "quantity": 1, "confirm_no_reason_exclusion": True, **GUEST, **extra},
                       content_type="application/json")


def test_the_product_page_offers_the_cover_with_its_premium(client):
    product = make_product(keys=2, price=1000)  # band mid: ×1.5 → ¥0.30
    body = client.get(reverse("web:product", args=[product.pk])).content.decode()
    assert 'id="insurance-offer"' in body and 'name="insure"' in body and "0.30" in body and "交付后 7 天" in body


def test_checkout_with_the_tick_buys_the_cover_and_the_order_page_shows_it(client):
    product = make_product(keys=2, price=1000)
    response = client.post(reverse("web:checkout", args=[product.pk]), {
        "quantity": "1", "no_reason_waived": "on", "pay_with": "sandbox", "insure": "1", **GUEST,
    })
    assert response.status_code == 302, response.content.decode()[:500]
    order = Order.objects.get()
    assert Cover.objects.get(order=order).premium == 30 and order.payment.amount == 1030
    pay(order)
    assert balance_of(POOL) == 30
    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="insurance-cover"' in page and "保障中" in page and "0.30" in page
    assert ledger_clean()


def test_checkout_without_the_tick_buys_nothing(client):
    product = make_product(keys=2, price=1000)
    client.post(reverse("web:checkout", args=[product.pk]), {"quantity": "1", "no_reason_waived": "on", "pay_with": "sandbox", **GUEST})
    order = Order.objects.get()
    assert not Cover.objects.exists() and order.payment.amount == 1000
    assert 'id="insurance-cover"' not in client.get(reverse("web:order", args=[order.order_no])).content.decode()


def test_the_api_buys_the_cover_and_shows_it_to_the_order_holder_only(client):
    product = make_product(keys=2, price=1000)
    created = _api_order(client, product, insure=True)
    assert created.status_code == 201, created.content
    order_no, token = created.json()["order"]["order_no"], created.json()["access_token"]
    cover = client.get(f"/api/orders/{order_no}/cover", HTTP_X_ORDER_TOKEN=token)
    assert cover.status_code == 200 and cover.json()["premium"] == 30 and cover.json()["status"] == "unpaid"
    assert cover.json()["terms"]["protection_days"] == 7
    stranger = make_user()
    client.force_login(stranger)
    hidden = client.get(f"/api/orders/{order_no}/cover")
    assert hidden.status_code == 404 and hidden.json()["code"] == "order_not_found"
    client.force_login(product.shop.owner)  # the merchant of the order sees it
    assert client.get(f"/api/orders/{order_no}/cover").status_code == 200


def test_the_api_cover_of_an_uninsured_order_is_404(client):
    product = make_product(keys=2, price=1000)
    created = _api_order(client, product)
    order_no, token = created.json()["order"]["order_no"], created.json()["access_token"]
    response = client.get(f"/api/orders/{order_no}/cover", HTTP_X_ORDER_TOKEN=token)
    assert response.status_code == 404 and response.json()["code"] == "cover_not_found"


def test_the_api_takes_only_a_json_true_as_the_tick(client):
    product = make_product(keys=2, price=1000)
    assert _api_order(client, product, insure="yes").status_code == 422
    assert not Order.objects.exists()


def test_the_staff_pool_page_and_api(client):
    fund_pool(5000)
    product = make_product(keys=2, price=1000)
    created = _api_order(client, product, insure=True)
    pay(Order.objects.get(order_no=created.json()["order"]["order_no"]))
    client.force_login(make_user())
    assert client.get(reverse("insurance:staff_pool")).status_code == 404
    assert client.get("/api/staff/insurance/pool").status_code == 403
    client.force_login(make_user(staff_role="support"))
    page = client.get(reverse("insurance:staff_pool")).content.decode()
    assert 'id="pool-balance"' in page and "50.30" in page
    summary = client.get("/api/staff/insurance/pool").json()
    assert summary["balance"] == 5030 and summary["totals"]["premiums"] == 30 and summary["totals"]["claims_paid"] == 0


def test_the_staff_pool_api_refuses_a_bearer_key(client):
    response = client.get("/api/staff/insurance/pool", HTTP_AUTHORIZATION="Bearer kd_nothing")
    assert response.status_code == 403 and response.json()["code"] == "session_required"
