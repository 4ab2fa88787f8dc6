"""Order lookup (订单查询) through HTTP: limits keyed on the normalised order number, a captcha
instead of a lock-out for the order number, an address limit that says how long it lasts, and the
access link that always works."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy

pytestmark = pytest.mark.django_db

URL = "/orders/lookup/"


@pytest.fixture
def order(product, settings):
    settings.KADUN_LOOKUP_RATE = "5/15m"
    settings.KADUN_LOOKUP_IP_RATE = "100/h"
    order, token, _ = buy(product, query_password="chaxun123")
    order.token = token
    return order


def _fail_five_times(order_no: str) -> None:
    for i in range(5):
        response = Client().post(URL, {"order_no": order_no, "query_password": f"guess-{i}"}, REMOTE_ADDR=f"203.0.113.{i}")
        assert response.status_code == 404


def _captcha(response) -> dict:
    """Solve the captcha on a rendered form, as a person reading the image would."""
    from captcha.models import CaptchaStore

    html = response.content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def _granted(client, order) -> bool:
    return client.get(f"/orders/{order.order_no}/").status_code == 200


@pytest.mark.parametrize("variant", [" {}", "{}\n", "{}  ", "\t{} ", "{}\u200b", "\ufeff{}", "\u3000{}"])
def test_after_failures_whitespace_variants_of_the_number_need_the_captcha_too(order, variant):
    _fail_five_times(order.order_no)
    client = Client()
    response = client.post(URL, {"order_no": variant.format(order.order_no), "query_password": "chaxun123"})
    assert response.status_code == 400
    assert 'name="captcha_1"' in response.content.decode()
    assert not _granted(client, order)


def test_full_width_digits_fold_into_the_same_number(order):
    full_width = order.order_no.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    client = Client()
    response = client.post(URL, {"order_no": full_width, "query_password": "chaxun123"})
    assert response.status_code == 302
    assert _granted(client, order)


def test_full_width_variant_counts_in_the_same_bucket(order):
    full_width = order.order_no.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    _fail_five_times(full_width)
    client = Client()
    response = client.post(URL, {"order_no": order.order_no, "query_password": "chaxun123"})
    assert response.status_code == 400 and not _granted(client, order)


def test_a_stranger_cannot_lock_the_owner_out(order):
    _fail_five_times(order.order_no)
    owner = Client()
    asked = owner.post(URL, {"order_no": order.order_no, "query_password": "chaxun123"}, REMOTE_ADDR="198.51.100.5")
    assert asked.status_code == 400
    assert "验证码" in asked.content.decode()
    response = owner.post(URL, {"order_no": order.order_no, "query_password": "chaxun123", **_captcha(asked)}, REMOTE_ADDR="198.51.100.5")
    assert response.status_code == 302
    assert _granted(owner, order)


def test_a_wrong_captcha_opens_nothing(order):
    _fail_five_times(order.order_no)
    client = Client()
    asked = client.post(URL, {"order_no": order.order_no, "query_password": "chaxun123"})
    solved = _captcha(asked)
    response = client.post(URL, {"order_no": order.order_no, "query_password": "chaxun123", "captcha_0": solved["captcha_0"], "captcha_1": "WRONG"})
    assert response.status_code == 400
    assert not _granted(client, order)


def test_the_failure_that_reaches_the_limit_shows_the_captcha_at_once(order):
    for i in range(4):
        Client().post(URL, {"order_no": order.order_no, "query_password": f"guess-{i}"})
    fifth = Client().post(URL, {"order_no": order.order_no, "query_password": "guess-5"})
    assert fifth.status_code == 404
    html = fifth.content.decode()
    assert "订单号或查询密码不正确" in html and 'name="captcha_1"' in html


def test_the_captcha_image_renders_offline(order):
    _fail_five_times(order.order_no)
    asked = Client().post(URL, {"order_no": order.order_no, "query_password": "x"})
    src = re.search(r'<img src="([^"]+)"[^>]*class="captcha"', asked.content.decode()).group(1)
    image = Client().get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_address_limit_says_how_long_it_lasts(order, settings):
    settings.KADUN_LOOKUP_IP_RATE = "3/h"
    client = Client()
    for i in range(3):
        client.post(URL, {"order_no": f"2026010100000000{i:02d}", "query_password": "x"})
    response = client.post(URL, {"order_no": order.order_no, "query_password": "chaxun123"})
    assert response.status_code == 429
    text = response.content.decode()
    minutes = int(re.search(r"请 (\d+) 分钟后再试", text).group(1))
    assert 1 <= minutes <= 60
    assert "访问链接" in text  # where to go instead
    assert not _granted(client, order)


def test_the_access_link_always_works(order, settings):
    settings.KADUN_LOOKUP_IP_RATE = "3/h"
    _fail_five_times(order.order_no)
    client = Client()
    for i in range(4):
        client.post(URL, {"order_no": order.order_no, "query_password": f"x-{i}"})
    assert client.post(URL, {"order_no": order.order_no, "query_password": "chaxun123"}).status_code == 429
    response = client.get(f"/o/{order.token}/")
    assert response.status_code == 302
    assert _granted(client, order)
