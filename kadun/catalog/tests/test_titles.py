"""A product title is one line of text: control characters (newlines, NUL, tabs, any Cc) are
refused at save, on every channel, so a merchant can't inject lines into what the platform
writes from it — the buyer's exported .txt of keys above all. A title stored before the rule is
written into the export with its control characters taken out."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_create
from kadun.catalog.errors import InvalidProduct
from kadun.catalog.models import Product
from kadun.catalog.services import product_create, product_update
from kadun.inventory import crypto
from kadun.inventory.models import CardKey
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db

INJECTED = "点卡\nWY50-AAAA1111-BBBB2222"
REFUSED = "商品标题不能包含换行、制表符等控制字符。"


def _api(shop) -> Client:
    _key, secret = api_key_create(user=shop.owner, name="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("title", [INJECTED, "点卡\r伪造一行", "点卡\x00", "点卡\t100元", "点卡\x85下一行", "点卡\x1b[2J", "点卡\u2028下一行"])
def test_a_title_with_a_control_character_is_refused_by_the_service(title):
    shop = make_shop()

    with pytest.raises(InvalidProduct) as refused:
        product_create(shop=shop, data={"title": title, "price": 100, "delivery": "auto"})

    assert refused.value.code == "invalid_title_characters" and refused.value.message == REFUSED
    assert not Product.objects.filter(shop=shop).exists()


def test_the_api_refuses_the_reviewers_title_on_create_and_on_edit():
    shop = make_shop()
    product = make_product(shop, title="王者荣耀点卡")
    client = _api(shop)

    created = client.post("/api/merchant/products", {"title": INJECTED, "price": 100, "delivery": "auto"}, content_type="application/json")
    edited = client.patch(f"/api/merchant/products/{product.pk}", {"title": INJECTED}, content_type="application/json")

    assert created.status_code == 400 and created.json() == {"code": "invalid_title_characters", "message": REFUSED}
    assert edited.status_code == 400 and edited.json()["code"] == "invalid_title_characters"
    assert list(Product.objects.filter(shop=shop).values_list("title", flat=True)) == ["王者荣耀点卡"]


def test_the_product_form_shows_the_chinese_error_and_saves_nothing(client):
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)

    response = client.post(reverse("merchants:product_new"), {
        "title": "点卡\r\nWY50-AAAA1111-BBBB2222", "description": "", "category": "game_card", "delivery": "auto",
        "price": "1.00", "market_price": "", "inspection_hours": "", "max_per_order": "5", "is_active": "on", "buyer_fields": "",
    })

    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not Product.objects.filter(shop=shop).exists()


def test_spaces_and_ordinary_punctuation_are_fine():
    product = product_update(shop=(shop := make_shop()), product_id=make_product(shop).pk, data={"title": "王者荣耀 60 点券（官方）· 自动发货"})

    assert product.title == "王者荣耀 60 点券（官方）· 自动发货"


def test_an_old_title_with_a_newline_cannot_add_a_line_to_the_export():
    product = make_product(keys=4, price=500)
    client = Client()
    client.post(f"/p/{product.pk}/buy/", {"quantity": "2", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    order = pay(Order.objects.get(product=product))
    Order.objects.filter(pk=order.pk).update(title=INJECTED + "\r\x1b\x85")  # stored before titles were checked
    keys = [crypto.decrypt(k.secret) for k in CardKey.objects.filter(order=order).order_by("id")]

    response = client.post(f"/orders/{order.order_no}/keys/export/")

    lines = response.content.decode().split("\n")
    assert response.status_code == 200
    assert lines[1:] == [*keys, ""]  # the keys, one per line, and nothing else
    assert "WY50-AAAA1111-BBBB2222" in lines[0] and order.order_no in lines[0]
    assert not any(ch in lines[0] for ch in "\r\x1b\x85")
