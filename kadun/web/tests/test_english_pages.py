"""Buyer pages in English hold no Chinese of kadun's own (no stray labels, no full-width
colons or brackets around translated strings). Data stays as entered and is left out: product
and shop names (ASCII here), the frozen refund clauses, the platform's decisions and notes,
in-site messages, flash messages (they carry those decisions) and the switch back to 中文."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from conftest import make_product, make_shop, make_user, pay
from kadun.inventory.models import CardKey
from kadun.notifications.services import message_send
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
# Classes of elements whose text is data, or the brand: the flash messages too, as they carry
# the platform's decisions ("依据退款规则第1条：…"), which are written in Chinese like the clauses.
DATA = {"clauses", "explanation", "note", "msg", "flash", "lang", "brand"}
HAN_OR_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.parts = [], []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
            if attrs.get("placeholder"):
                self.parts.append(attrs["placeholder"])
            return
        classes = set((dict(attrs).get("class") or "").split())
        inside_data = bool(self.stack) and self.stack[-1]
        self.stack.append(tag in ("script", "style", "title") or bool(classes & DATA) or inside_data)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):  # text outside any data element
            self.parts.append(data)


def chinese_in(body: str) -> list[str]:
    """Each run of Chinese or full-width characters in the page's own text, with a little of
    what surrounds it (to say where it is)."""
    parser = _Text()
    parser.feed(body)
    text = re.sub(r"\s+", " ", " ".join(parser.parts))
    return [text[max(m.start() - 15, 0):m.end() + 15] for m in HAN_OR_FULL_WIDTH.finditer(text)]


@pytest.fixture
def client():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.fixture
def product(db):
    shop = make_shop(name="Star Shop")
    return make_product(shop, keys=5, title="Steam Wallet 50")


def _assert_english(response, *, partial: bool = False):
    assert response.status_code in (200, 400, 404), response.status_code
    body = response.content.decode()
    assert partial or '<html lang="en">' in body
    found = chinese_in(body)
    assert found == [], found


def _guest_order(client, product, quantity=2):
    client.post(f"/p/{product.pk}/buy/", {"quantity": str(quantity), "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    return Order.objects.latest("id")


@pytest.mark.parametrize("url", ["/", "/orders/lookup/", "/signup/", "/login/", "/orders/20260101000000/"])
def test_public_pages(client, product, url):
    _assert_english(client.get(url))


def test_product_page(client, product):
    _assert_english(client.get(f"/p/{product.pk}/"))


def test_created_page_with_the_access_link(client, product):
    checkout = {"quantity": "2", "contact": "g@example.com", "query_password": "chaxun123", "no_reason_waived": "on"}
    _assert_english(client.post(f"/p/{product.pk}/buy/", checkout, follow=True))


def test_sandbox_page_before_and_after_a_failure(client, product):
    order = _guest_order(client, product)
    page = f"/pay/sandbox/{order.payment.out_trade_no}/"
    _assert_english(client.get(page))
    _assert_english(client.post(page, {"action": "fail"}, follow=True))


def test_order_page_pending_after_a_failed_payment(client, product):
    order = _guest_order(client, product)
    pay(order, succeed=False)
    _assert_english(client.get(f"/orders/{order.order_no}/"))


def test_order_page_delivered_with_a_revealed_key(client, product):
    order = pay(_guest_order(client, product))
    key_id = CardKey.objects.filter(order=order).order_by("id").first().pk
    _assert_english(client.post(f"/orders/{order.order_no}/keys/{key_id}/reveal/", HTTP_HX_REQUEST="true"), partial=True)
    _assert_english(client.get(f"/orders/{order.order_no}/"))
    _assert_english(client.post(f"/orders/{order.order_no}/keys/reveal-all/", HTTP_HX_REQUEST="true"), partial=True)


def test_logged_in_buyer_pages(client, product):
    buyer = make_user()
    message_send(user_id=buyer.pk, title="Order shipped")
    client.force_login(buyer)
    client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "pay_with": "sandbox", "no_reason_waived": "on"})
    order = pay(Order.objects.latest("id"))
    for url in ("/", "/orders/mine/", "/messages/", f"/orders/{order.order_no}/"):
        _assert_english(client.get(url))


def test_a_signup_with_errors(client, db):
    _assert_english(client.post("/signup/", {"username": "", "password": "k1", "password2": "k2"}))


def test_order_page_with_a_refund_request_waiting_for_the_merchant(client, product):
    from kadun.aftersales.services import refund_request_create

    order = pay(_guest_order(client, product, quantity=1))
    key_id = CardKey.objects.get(order=order).pk
    client.post(f"/orders/{order.order_no}/keys/{key_id}/reveal/", HTTP_HX_REQUEST="true")
    refund_request_create(order=order, reason="not_as_described", statement="not as described", key_ids=[key_id])
    _assert_english(client.get(f"/orders/{order.order_no}/"))


def test_order_page_after_a_one_click_refund(client, product):
    order = pay(_guest_order(client, product))
    _assert_english(client.post(f"/orders/{order.order_no}/refund/instant/", follow=True))


def test_only_keys_and_links_may_break_mid_word():
    """`word-break: break-all` splits English words at any letter on a phone; the stylesheet
    keeps it for keys and links (tests/browser/test_buyer_pages.py measures the page itself)."""
    from django.contrib.staticfiles import finders

    css = open(finders.find("kadun/kadun.css"), encoding="utf-8").read()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    breaking = sorted(selector.strip() for selector, body in rules if "break-all" in body)
    assert breaking == [".key", ".secret-link"]
