"""``KADUN_PAYMENT_PROVIDERS`` decides which payment providers exist. With the sandbox off, nobody
can mark an order paid through it: its pay page and notify URL are gone and checkout can't pick it."""
from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import Client

from conftest import buy, make_product, make_user, signed_notification
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_off(settings):
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet"]


def test_sandbox_pay_page_is_gone_when_the_sandbox_is_off(product, settings):
    order, _, pay_url = buy(product)  # made while the sandbox was on
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet"]
    client = Client()
    assert client.get(pay_url).status_code == 404
    assert client.post(pay_url, {"action": "pay"}).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_sandbox_notification_is_404_and_pays_nothing_when_the_sandbox_is_off(product, settings):
    order, _, _ = buy(product)
    params = signed_notification(order)  # correctly signed: the secret is no help either
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet"]
    response = Client().post("/pay/notify/sandbox/", params)
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_checkout_does_not_offer_or_accept_the_sandbox_when_off(product, sandbox_off):
    buyer = make_user()
    client = Client()
    client.force_login(buyer)
    page = client.get(f"/p/{product.pk}/").content.decode()
    assert 'value="sandbox"' not in page and 'value="wallet"' in page
    response = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "pay_with": "sandbox", "no_reason_waived": "on"})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_guest_checkout_without_a_gateway_is_refused_and_creates_nothing(product, sandbox_off):
    response = Client().post(
        f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"}
    )
    assert response.status_code == 400
    assert "当前没有可用的在线支付方式" in response.content.decode()
    assert not Order.objects.exists()


def test_api_checkout_without_a_gateway_is_a_stable_error(product, sandbox_off):
    response = Client().post(
        "/api/orders",
        {"product_id": product.pk, "quantity": 1, "contact": "g@example.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": True},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_payment_provider"
    assert not Order.objects.exists()


def test_sandbox_on_is_the_default_of_tests_and_checkout_still_pays_in_it(product):
    order, _, pay_url = buy(product)
    assert order.payment.provider == "sandbox" and pay_url.startswith("/pay/sandbox/")


def test_deploy_check_refuses_the_sandbox_outside_debug(settings):
    settings.DEBUG = False
    settings.KADUN_PAYMENT_PROVIDERS = ["sandbox", "wallet"]
    assert "kadun.E001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet"]
    assert "kadun.E001" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_a_product_page_still_renders_with_only_the_wallet(sandbox_off):
    product = make_product(keys=1)
    assert Client().get(f"/p/{product.pk}/").status_code == 200
