"""A guest's order grant lives in a browser-session cookie (gone when the browser closes, not two
weeks later on a shared computer), and 退出此订单 drops it."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from conftest import buy, make_product, make_user

pytestmark = pytest.mark.django_db


def _session_cookie(response):
    return response.cookies.get(settings.SESSION_COOKIE_NAME)


def _is_browser_session(cookie) -> bool:
    return cookie is not None and cookie.value and not cookie["max-age"] and not cookie["expires"]


def test_lookup_grant_is_a_browser_session_cookie(product):
    order, _, _ = buy(product, query_password="chaxun123")
    response = Client().post("/orders/lookup/", {"order_no": order.order_no, "query_password": "chaxun123"})
    assert response.status_code == 302
    assert _is_browser_session(_session_cookie(response))


def test_access_link_grant_is_a_browser_session_cookie(product):
    order, token, _ = buy(product)
    response = Client().get(f"/o/{token}/")
    assert response.status_code == 302
    assert _is_browser_session(_session_cookie(response))


def test_guest_checkout_grant_is_a_browser_session_cookie(product):
    response = Client().post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "g@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    assert response.status_code == 302  # to 订单已创建 (POST → redirect → GET)
    assert _is_browser_session(_session_cookie(response))


def test_a_logged_in_session_keeps_its_lifetime(db):
    make_user("regular", password="right-password-1")
    response = Client().post("/login/", {"username": "regular", "password": "right-password-1"})
    assert response.status_code == 302
    assert int(_session_cookie(response)["max-age"]) == settings.SESSION_COOKIE_AGE


def test_leaving_the_order_drops_the_grant_and_the_empty_session(product):
    order, token, _ = buy(product)
    client = Client()
    client.get(f"/o/{token}/")
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert "退出此订单" in page
    action = re.search(r'<form method="post" action="([^"]+)" id="leave-order"', page).group(1)
    response = client.post(action)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert cookie is not None and cookie.value == ""  # the session is deleted, not just emptied
    assert client.get(f"/orders/{order.order_no}/").status_code == 404


def test_leaving_one_order_keeps_the_others(product):
    first, first_token, _ = buy(product)
    second, second_token, _ = buy(make_product(keys=1))
    client = Client()
    client.get(f"/o/{first_token}/")
    client.get(f"/o/{second_token}/")
    client.post(f"/orders/{first.order_no}/leave/")
    assert client.get(f"/orders/{first.order_no}/").status_code == 404
    assert client.get(f"/orders/{second.order_no}/").status_code == 200


def test_the_buyer_of_an_account_order_sees_no_leave_button(product):
    buyer = make_user()
    order, _, _ = buy(product, buyer=buyer)
    client = Client()
    client.force_login(buyer)
    assert "退出此订单" not in client.get(f"/orders/{order.order_no}/").content.decode()
