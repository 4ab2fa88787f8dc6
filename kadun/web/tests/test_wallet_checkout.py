"""平台余额 checkout is all or nothing: the order is created and paid from the wallet in one
transaction, so a short balance leaves no order behind; and a wallet order still pending (one an
older version left) is paid with a button on its page, never through a 去支付 link to itself."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_user
from kadun.backoffice.selectors import platform_check
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post
from kadun.orders.models import Order
from kadun.orders.services import order_create
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment

SHORT = "平台余额不足，请选择其他支付方式。"
WALLET_CHECKOUT = {"quantity": "1", "pay_with": "wallet", "no_reason_waived": "on"}


def _top_up(user, amount: int, tag: str = "1") -> None:
    entry_post(kind="topup", idempotency_key=f"topup-{user.pk}-{tag}", lines=[("external:bank", -amount), (codes.buyer_wallet(user.pk), amount)])


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _field_errors(body: str, field: str) -> str:
    match = re.search(rf'<div class="errors" id="id_{field}-errors">(.*?)</div>', body, re.S)
    return match.group(1) if match else ""


# --- checkout -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wallet_checkout_the_balance_does_not_cover_creates_no_order():
    product = make_product(keys=3, price=1500)
    buyer = make_user()
    _top_up(buyer, 1499)

    response = _logged_in(buyer).post(f"/p/{product.pk}/buy/", WALLET_CHECKOUT)

    assert response.status_code == 400 and SHORT in _field_errors(response.content.decode(), "pay_with")
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 1499


@pytest.mark.django_db
def test_a_wallet_spent_between_the_page_and_the_payment_leaves_no_order(monkeypatch):
    """The balance covered the order when checkout looked, and was gone when it paid (what a
    concurrent checkout does): the order goes with the failed payment."""
    from kadun.orders import services as order_services

    product = make_product(keys=3, price=1500)
    buyer = make_user()
    _top_up(buyer, 1500)
    real_create = order_services.order_create

    def create_then_spend(**kwargs):
        created = real_create(**kwargs)
        entry_post(kind="spend", idempotency_key=f"spend-{buyer.pk}", lines=[(codes.buyer_wallet(buyer.pk), -1500), ("external:bank", 1500)])
        return created

    monkeypatch.setattr(order_services, "order_create", create_then_spend)

    response = _logged_in(buyer).post(f"/p/{product.pk}/buy/", WALLET_CHECKOUT)

    assert response.status_code == 400 and SHORT in _field_errors(response.content.decode(), "pay_with")
    assert not Order.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_covered_wallet_checkout_pays_and_delivers_at_once():
    product = make_product(keys=3, price=1500)
    buyer = make_user()
    _top_up(buyer, 2000)

    response = _logged_in(buyer).post(f"/p/{product.pk}/buy/", WALLET_CHECKOUT)

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:order", args=[order.order_no])
    assert order.status == OrderStatus.DELIVERED and order.payment.status == "succeeded"
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 500 and balance_of(codes.escrow(order.pk)) == 1500


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_four_wallet_checkouts_at_once_with_a_balance_for_one_leave_one_paid_order():
    product = make_product(keys=10, price=1500)
    buyer = make_user()
    _top_up(buyer, 2000)
    clients = [_logged_in(buyer) for _ in range(4)]
    barrier = threading.Barrier(4, timeout=60)

    def checkout(client):
        try:
            barrier.wait()
            return client.post(f"/p/{product.pk}/buy/", WALLET_CHECKOUT).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        answers = sorted(pool.map(checkout, clients))

    assert answers == [302, 400, 400, 400]
    [order] = Order.objects.all()
    assert order.status == OrderStatus.DELIVERED and order.payment.status == "succeeded"
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 500
    assert balance_of(codes.escrow(order.pk)) == 1500
    assert Payment.objects.count() == 1
    assert platform_check().problems == []


# --- a wallet order left pending ------------------------------------------------------------


def _pending_wallet_order(buyer, product):
    """What the old checkout left when the payment failed: a pending order paid by wallet."""
    order, _token, _url = order_create(product_id=product.pk, quantity=1, buyer=buyer, provider="wallet", confirm_no_reason_exclusion=True)
    return order


@pytest.mark.django_db
def test_a_pending_wallet_orders_page_offers_a_pay_button_not_a_link_to_itself():
    product = make_product(keys=3, price=1500)
    buyer = make_user()
    order = _pending_wallet_order(buyer, product)
    page_url = reverse("web:order", args=[order.order_no])

    body = _logged_in(buyer).get(page_url).content.decode()

    assert not re.search(rf'<a[^>]*href="{re.escape(page_url)}"[^>]*>\s*(去支付|重新支付)', body)
    assert 'id="go-pay"' not in body
    form = re.search(r'<form[^>]*id="pay-wallet"[^>]*>', body).group(0)
    assert 'method="post"' in form and reverse("web:pay_wallet", args=[order.order_no]) in form
    assert "用余额支付" in body


@pytest.mark.django_db
def test_paying_a_pending_wallet_order_from_its_page_delivers_it():
    product = make_product(keys=3, price=1500)
    buyer = make_user()
    order = _pending_wallet_order(buyer, product)
    _top_up(buyer, 1600)

    response = _logged_in(buyer).post(reverse("web:pay_wallet", args=[order.order_no]), follow=True)

    order.refresh_from_db()
    assert response.status_code == 200 and "已用平台余额支付" in response.content.decode()
    assert order.status == OrderStatus.DELIVERED
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 100 and balance_of(codes.escrow(order.pk)) == 1500


@pytest.mark.django_db
def test_paying_a_pending_wallet_order_without_the_balance_says_so_and_changes_nothing():
    product = make_product(keys=3, price=1500)
    buyer = make_user()
    order = _pending_wallet_order(buyer, product)
    _top_up(buyer, 1000)

    response = _logged_in(buyer).post(reverse("web:pay_wallet", args=[order.order_no]), follow=True)

    order.refresh_from_db()
    assert "平台余额不足" in response.content.decode()
    assert order.status == OrderStatus.PENDING_PAYMENT and order.payment.status == "pending"
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 1000


@pytest.mark.django_db
def test_nobody_else_can_pay_a_wallet_order_from_its_page():
    product = make_product(keys=3, price=1500)
    buyer, other = make_user(), make_user()
    order = _pending_wallet_order(buyer, product)
    _top_up(other, 5000)

    response = _logged_in(other).post(reverse("web:pay_wallet", args=[order.order_no]))

    order.refresh_from_db()
    assert response.status_code == 404
    assert order.status == OrderStatus.PENDING_PAYMENT and balance_of(codes.buyer_wallet(other.pk)) == 5000
