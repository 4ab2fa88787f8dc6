"""注销账户 through the page: the password confirms it; the identity goes, the orders stay, and
the evidence log still checks."""
import pytest
from django.test import Client

from conftest import buy, make_product, make_user, pay
from kadun.evidence.check import evidence_check
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
PASSWORD = "kadun-test-pw-1"


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_says_what_is_erased_and_what_is_kept():
    page = _logged_in(make_user()).get("/account/close/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "注销账户" in text and "第三十一条" in text and 'name="password"' in text


def test_a_wrong_password_closes_nothing():
    user = make_user(email="a@example.com")

    response = _logged_in(user).post("/account/close/", {"password": "wrong-password"})

    user.refresh_from_db()
    assert response.status_code == 400 and "密码不正确" in response.content.decode()
    assert user.is_active and user.email == "a@example.com"


def test_closing_erases_the_identity_keeps_the_orders_and_the_log_checks():
    user = make_user(email="a@example.com", contact="QQ 10001")
    order = pay(buy(make_product(keys=1, price=700), buyer=user)[0])
    client = _logged_in(user)

    response = client.post("/account/close/", {"password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.username == f"已注销用户#{user.pk}" and user.email == "" and user.contact == "" and not user.is_active
    assert Order.objects.get(pk=order.pk).amount == 700 and Order.objects.get(pk=order.pk).buyer_id == user.pk
    assert client.get("/orders/mine/").status_code == 302  # logged out
    login = Client().post("/login/", {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" not in login.wsgi_request.session
    report = evidence_check()
    assert report.ok, report.findings


def test_a_shop_owner_is_told_to_contact_the_platform():
    owner = make_product().shop.owner

    response = _logged_in(owner).post("/account/close/", {"password": PASSWORD})

    owner.refresh_from_db()
    assert response.status_code == 409 and "商家身份信息须依法保存" in response.content.decode() and owner.is_active
