"""The checkout page for a product whose rules exclude 7天无理由: the confirmation box is required
(by the browser and by the server), what the buyer ticked is stored with the order, and the
order page shows it next to the frozen rules."""
from __future__ import annotations

import hashlib
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from conftest import make_product, make_user
from kadun.deadlines.models import Deadline
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post
from kadun.orders.models import CheckoutConfirmation, Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment

pytestmark = pytest.mark.django_db

AUTO_TEXT = "我已知悉：本商品为数字商品，一经发货不适用七天无理由退货（卡密未查看时仍可按规则即时退款）。"
REFUSED = "本商品不适用七天无理由退货，请勾选确认后再提交订单。"
GUEST = {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123"}


def _checkout(client, product, **data):
    return client.post(f"/p/{product.pk}/buy/", {**GUEST, **data}, follow=True)  # success redirects to 订单已创建


def _box_errors(body: str) -> str:
    match = re.search(r'<div class="errors" id="id_no_reason_waived-errors">(.*?)</div>', body, re.S)
    return match.group(1) if match else ""


def _top_up(user, amount: int) -> None:
    entry_post(kind="topup", idempotency_key=f"topup-{user.pk}", lines=[("external:bank", -amount), (codes.buyer_wallet(user.pk), amount)])


def test_the_product_page_shows_a_required_confirmation_box(product):
    body = Client().get(f"/p/{product.pk}/").content.decode()

    box = re.search(r'<input type="checkbox" name="no_reason_waived"[^>]*>', body).group(0)
    assert " required" in box and "checked" not in box
    assert AUTO_TEXT in body


def test_checkout_without_the_tick_is_refused_next_to_the_box_and_creates_nothing(product):
    response = _checkout(Client(), product)

    assert response.status_code == 400
    body = response.content.decode()
    assert REFUSED in _box_errors(body)
    assert body.index('id="no-reason-confirm"') < body.index('id="id_no_reason_waived-errors"')
    assert not Order.objects.exists() and not Payment.objects.exists() and not Deadline.objects.exists()


def test_checkout_with_the_tick_stores_the_text_shown_and_the_channel(product):
    response = _checkout(Client(), product, no_reason_waived="on")

    assert response.status_code == 200
    order = Order.objects.get()
    assert order.no_reason_waived is True
    confirmation = CheckoutConfirmation.objects.get(order=order)
    assert (confirmation.kind, confirmation.channel, confirmation.text) == ("no_reason_exclusion", "web", AUTO_TEXT)
    assert confirmation.text_sha256 == hashlib.sha256(AUTO_TEXT.encode()).hexdigest()
    assert confirmation.at == order.created_at


def test_in_english_the_english_label_is_what_is_stored(product):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    shown = client.get(f"/p/{product.pk}/").content.decode()
    label = html.unescape(re.search(r'id="no-reason-confirm">.*?<input[^>]*>\s*(.*?)</label>', shown, re.S).group(1).strip())
    assert label.startswith("I understand")

    refused = _checkout(client, product)
    assert refused.status_code == 400 and "tick" in _box_errors(refused.content.decode())
    assert _checkout(client, product, no_reason_waived="on").status_code == 200

    assert CheckoutConfirmation.objects.get().text == label


def test_wallet_checkout_without_the_tick_is_refused_and_the_wallet_untouched(product):
    buyer = make_user()
    _top_up(buyer, 5000)
    client = Client()
    client.force_login(buyer)

    refused = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "pay_with": "wallet"})

    assert refused.status_code == 400 and REFUSED in _box_errors(refused.content.decode())
    assert not Order.objects.exists() and balance_of(codes.buyer_wallet(buyer.pk)) == 5000

    paid = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "pay_with": "wallet", "no_reason_waived": "on"})

    assert paid.status_code == 302
    order = Order.objects.get()
    assert order.status == OrderStatus.DELIVERED and balance_of(codes.buyer_wallet(buyer.pk)) == 5000 - product.price
    assert CheckoutConfirmation.objects.get(order=order).channel == "web"


def test_a_product_allowing_7_days_has_no_box_and_needs_no_tick(shop):
    product = make_product(shop, keys=2, refund_rules={"no_reason_7days": True})

    page = Client().get(f"/p/{product.pk}/").content.decode()
    response = _checkout(Client(), product)

    assert 'name="no_reason_waived"' not in page
    assert response.status_code == 200
    assert Order.objects.get().no_reason_waived is False and not CheckoutConfirmation.objects.exists()


def test_the_order_page_shows_the_confirmation_with_the_frozen_rules(product):
    client = Client()
    _checkout(client, product, no_reason_waived="on")
    order = Order.objects.get()
    confirmation = CheckoutConfirmation.objects.get()

    body = client.get(f"/orders/{order.order_no}/").content.decode()

    policy = body[body.index('id="policy"'):]
    shown = re.search(r'id="checkout-confirmations">(.*?)</ul>', policy, re.S).group(1)
    assert AUTO_TEXT in shown
    assert confirmation.at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S") in shown
    assert confirmation.text_sha256 in shown
