"""The buyer's order page through HTTP: the 一键退款 box after a reveal, copy, 全部查看, export
as .txt, the confirmation steps, and what it shows instead of codes."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, pay
from kadun.aftersales.services import refund_request_create
from kadun.catalog.models import Product
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, Reveal
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _guest_with_paid_order(product, quantity: int = 1):
    """A guest's browser session holding a paid order of ``quantity`` keys."""
    client = Client()
    client.post(f"/p/{product.pk}/buy/", {"quantity": str(quantity), "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    order = pay(Order.objects.filter(contact="guest@example.com").latest("id"))
    keys = list(CardKey.objects.filter(order=order).order_by("id"))
    return client, order, keys


def _box(body: str) -> str:
    """The 一键退款 box's markup, from its opening tag to the one that closes it."""
    start = body.index('<div id="instant-refund-box"')
    depth, i = 0, start
    for m in re.finditer(r"<(/?)div\b", body[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            i = start + m.end()
            break
    return body[start:body.index(">", i) + 1]


@pytest.fixture
def three_keys(db):
    return make_product(make_shop(), keys=5, price=1000)


def test_after_a_reveal_the_refund_box_no_longer_offers_that_key(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys, quantity=2)
    before = _box(client.get(f"/orders/{order.order_no}/").content.decode())
    assert "您有 2 个卡密尚未查看" in before and "#1" in before and "#2" in before

    response = client.post(f"/orders/{order.order_no}/keys/{keys[0].pk}/reveal/", **HX).content.decode()
    assert crypto.decrypt(keys[0].secret) in response
    box = _box(response)
    assert 'hx-swap-oob="true"' in box  # htmx replaces the page's box with this one
    assert "您有 1 个卡密尚未查看" in box and "#2" in box and "#1" not in box
    assert "¥10.00" in box  # what the one-click refund now pays: one key

    last = client.post(f"/orders/{order.order_no}/keys/{keys[1].pk}/reveal/", **HX).content.decode()
    assert 'id="instant-refund"' not in _box(last)  # nothing left to refund unseen


def test_a_revealed_key_has_a_copy_button_for_it(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys)
    response = client.post(f"/orders/{order.order_no}/keys/{keys[0].pk}/reveal/", **HX).content.decode()
    assert f'id="secret-{keys[0].pk}"' in response and f'data-copy="#secret-{keys[0].pk}"' in response


def test_reveal_all_shows_every_key_and_logs_each_reveal(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys, quantity=3)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="reveal-all"' in page and "都会把每个卡密记为已查看" in page

    response = client.post(f"/orders/{order.order_no}/keys/reveal-all/", REMOTE_ADDR="198.51.100.9", **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert all(crypto.decrypt(k.secret) in body for k in keys)
    assert Reveal.objects.filter(order=order).count() == 3
    assert set(Reveal.objects.values_list("key_id", flat=True)) == {k.pk for k in keys}
    assert all(r.ip == "198.51.100.9" for r in Reveal.objects.all())
    assert CardKey.objects.filter(order=order, first_revealed_at__isnull=True).count() == 0
    assert 'id="instant-refund"' not in body  # every key seen: no unseen refund offered


def test_reveal_all_and_export_are_not_offered_for_a_single_key(three_keys):
    client, order, _keys = _guest_with_paid_order(three_keys, quantity=1)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="reveal-all"' not in page and 'id="export-keys"' not in page


def test_export_downloads_every_key_as_txt_and_logs_each_reveal(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys, quantity=3)
    response = client.post(f"/orders/{order.order_no}/keys/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == f'attachment; filename="kadun-{order.order_no}.txt"'
    assert "no-store" in response["Cache-Control"]
    lines = response.content.decode().splitlines()
    assert lines[1:] == [crypto.decrypt(k.secret) for k in keys]
    assert order.order_no in lines[0]
    assert Reveal.objects.filter(order=order).count() == 3


def test_export_is_never_a_link(three_keys):
    client, order, _keys = _guest_with_paid_order(three_keys, quantity=3)
    assert client.get(f"/orders/{order.order_no}/keys/export/").status_code == 405
    assert Reveal.objects.count() == 0


def test_no_one_but_the_buyer_reveals_all_or_exports(three_keys):
    _client, order, _keys = _guest_with_paid_order(three_keys, quantity=3)
    merchant = Client()
    merchant.force_login(three_keys.shop.owner)
    for client in (Client(), merchant):
        assert client.post(f"/orders/{order.order_no}/keys/reveal-all/", **HX).status_code == 404
        assert client.post(f"/orders/{order.order_no}/keys/export/").status_code == 404
    assert Reveal.objects.count() == 0


def test_confirm_and_one_click_refund_each_sit_behind_a_confirmation_step(three_keys):
    client, order, _keys = _guest_with_paid_order(three_keys, quantity=2)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    step = re.search(r'<details class="confirm-step" id="confirm-step">(.*?)</details>', page, re.S).group(1)
    assert 'id="confirm"' in step and "此操作不可撤销" in step
    refund = re.search(r'<details class="confirm-step" id="instant-refund-step">(.*?)</details>', page, re.S).group(1)
    assert 'id="instant-refund"' in refund and "¥20.00" in refund and "此操作不可撤销" in refund
    assert page.count('id="confirm"') == 1 and page.count('id="instant-refund"') == 1


def test_confirm_is_not_offered_while_a_refund_request_is_open(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys)
    client.post(f"/orders/{order.order_no}/keys/{keys[0].pk}/reveal/", **HX)
    request = refund_request_create(order=order, reason="not_as_described", statement="与描述不符", key_ids=[keys[0].pk])
    assert request.is_open and Order.objects.get(pk=order.pk).refund_hold
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="confirm"' not in page and 'id="confirm-open"' not in page
    assert "处理完毕前不能确认收货" in page


def test_order_inputs_show_the_products_field_labels():
    product = make_product(make_shop(), delivery="manual", buyer_fields=[
        {"name": "uid", "label": "游戏UID", "required": True}, {"name": "server", "label": "区服", "required": True},
    ])
    order, _token, _url = buy(product, buyer_inputs={"uid": "10086", "server": "华东一区"})
    client = Client()
    client.force_login(product.shop.owner)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    inputs = re.search(r'id="buyer-inputs">(.*?)</div>', page, re.S).group(1)
    assert "<dt>游戏UID</dt><dd>10086</dd>" in inputs and "<dt>区服</dt><dd>华东一区</dd>" in inputs
    assert "<dt>uid</dt>" not in inputs and "<dt>server</dt>" not in inputs


def test_verification_results_are_labels_with_the_keys_number(three_keys):
    Product.objects.filter(pk=three_keys.pk).update(checker={"kind": "format", "pattern": r"KEY-\d+-\d{6}-SECRET"})
    pay(buy(three_keys, quantity=2)[0])  # someone else's order takes the first keys: ids and numbers differ
    client, order, keys = _guest_with_paid_order(three_keys)
    assert keys[0].pk != 1
    client.post(f"/orders/{order.order_no}/keys/{keys[0].pk}/verify/")
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    listed = re.search(r'<ul id="verifications">(.*?)</ul>', page, re.S).group(1)
    assert "#1 · 卡密有效" in listed and "valid" not in listed and f"#{keys[0].pk} " not in listed


def test_the_time_left_to_pay_is_a_live_countdown_from_the_servers_clock(three_keys):
    client = Client()
    checkout = {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"}
    created = client.post(f"/p/{three_keys.pk}/buy/", checkout, follow=True)
    order = Order.objects.get()
    for body in (created.content.decode(), client.get(f"/orders/{order.order_no}/").content.decode()):
        countdown = re.search(
            r'<p id="pay-deadline">.*?<span class="countdown" data-countdown-seconds="(\d+)" data-expired-text="订单已过期" role="timer">(\d\d:\d\d)</span>',
            body, re.S,
        )
        assert countdown, body
        assert 14 * 60 < int(countdown.group(1)) <= 15 * 60 and countdown.group(2) in ("15:00", "14:59", "14:58")
        assert "分钟" not in re.search(r'<p id="pay-deadline">(.*?)</p>', body, re.S).group(1)
        assert re.search(r'id="go-pay"[^>]*data-countdown-hide|data-countdown-hide[^>]*id="go-pay"', body)
        assert '<script src="/static/kadun/kadun.js" defer></script>' in body


def test_buyer_pages_carry_no_inline_script(three_keys):
    client, order, keys = _guest_with_paid_order(three_keys, quantity=2)
    pages = [client.get(f"/orders/{order.order_no}/"), client.post(f"/orders/{order.order_no}/keys/{keys[0].pk}/reveal/", **HX),
             client.get(f"/pay/sandbox/{order.payment.out_trade_no}/"), client.get("/"), client.get(f"/p/{three_keys.pk}/")]
    for response in pages:
        body = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert not re.search(r"\son[a-z]+\s*=|hx-on", body)
