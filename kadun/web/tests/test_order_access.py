"""What a visitor without access to an order page sees, and how an API guest gets from the
gateway back to their order: an absolute pay_url, then the lookup form with the order number
filled in — the same page for an order that exists and one that doesn't."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from conftest import make_user
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db
GUEST = {"contact": "guest@example.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": True}


def _api_guest_order(product) -> dict:
    response = Client().post("/api/orders", {"product_id": product.pk, **GUEST}, content_type="application/json")
    assert response.status_code == 201
    return response.json()


def _path(url: str) -> str:
    assert url.startswith(settings.SITE_URL + "/"), url
    return url[len(settings.SITE_URL):]


def _normalised(body: str, order_no: str) -> str:
    body = body.replace(order_no, "ORDER_NO")
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1TOKEN", body)


def test_api_pay_url_is_absolute_and_opens_the_gateway_page(product):
    created = _api_guest_order(product)
    assert created["pay_url"] == created["order"]["payment"]["pay_url"]
    page = Client().get(_path(created["pay_url"]))
    assert page.status_code == 200 and "确认支付" in page.content.decode()


def test_api_order_detail_gives_an_absolute_pay_url(product):
    created = _api_guest_order(product)
    read = Client().get(f"/api/orders/{created['order']['order_no']}", headers={"X-Order-Token": created["access_token"]})
    assert read.json()["payment"]["pay_url"] == created["pay_url"]
    _path(read.json()["payment"]["pay_url"])


def test_api_guest_after_paying_lands_on_the_lookup_form_and_gets_in_with_the_password(product):
    created = _api_guest_order(product)
    order_no = created["order"]["order_no"]
    browser = Client()  # the guest's browser: it never saw the order page
    paid = browser.post(_path(created["pay_url"]), {"action": "pay"})
    outbox_deliver_all()
    assert Order.objects.get(order_no=order_no).status == OrderStatus.DELIVERED

    landing = browser.get(paid["Location"])
    body = landing.content.decode()
    assert landing.status_code == 404
    assert "请输入查询密码查看订单" in body
    assert f'value="{order_no}"' in body and 'name="query_password"' in body
    assert product.title not in body  # nothing of the order before the password

    opened = browser.post("/orders/lookup/", {"order_no": order_no, "query_password": GUEST["query_password"]}, follow=True)
    assert opened.status_code == 200 and 'data-status="delivered"' in opened.content.decode()


def test_no_access_page_is_the_same_for_an_existing_and_a_missing_order(product):
    created = _api_guest_order(product)
    order_no = created["order"]["order_no"]
    missing = str(int(order_no) + 1)
    assert not Order.objects.filter(order_no=missing).exists()
    client = Client()
    existing_page, missing_page = client.get(f"/orders/{order_no}/"), client.get(f"/orders/{missing}/")
    assert existing_page.status_code == missing_page.status_code == 404
    assert _normalised(existing_page.content.decode(), order_no) == _normalised(missing_page.content.decode(), missing)


def test_another_logged_in_buyer_gets_the_same_no_access_page(product):
    created = _api_guest_order(product)
    client = Client()
    client.force_login(make_user())
    page = client.get(f"/orders/{created['order']['order_no']}/")
    assert page.status_code == 404 and "请输入查询密码查看订单" in page.content.decode()
    assert product.title not in page.content.decode()
