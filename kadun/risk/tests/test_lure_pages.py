"""脱离平台交易 on the pages, through HTTP: both sides see the warning where a lure is shown (the
product page and the merchant's product form, the delivery note on the buyer's and the merchant's
order page, the rejection note on the buyer's order page and the merchant's request page), and
only risk staff see the flags on /staff/risk/."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.services import refund_request_create, refund_request_respond
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.orders.services import order_accept, order_deliver
from kadun.risk.models import LureFlag

pytestmark = pytest.mark.django_db

WARNING = "脱离平台交易不受担保和售后保护，请勿私下转账"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_product_page_warns_buyers_of_a_lure_in_the_description():
    luring = make_product(description="拍下后加QQ 12345678 发货，更便宜")
    clean = make_product(description="自动发货，付款后在订单页查看卡密")

    assert WARNING in _page(Client(), reverse("web:product", args=[luring.pk]))
    assert WARNING not in _page(Client(), reverse("web:product", args=[clean.pk]))


def test_the_merchant_sees_the_warning_on_saving_and_on_the_product_form():
    shop = make_shop()
    client = _as(shop.owner)

    saved = client.post(reverse("merchants:product_new"), {
        "title": "点券", "category": "game_card", "delivery": "auto", "price": "10.00", "description": "私下转账9折",
        "max_per_order": "10", "is_active": "on",
    }, follow=True).content.decode()
    product = LureFlag.objects.get().subject.removeprefix("product:")

    assert "买家会看到风险提示" in saved
    assert WARNING in _page(client, reverse("merchants:product_edit", args=[int(product)]))


def _rejected(note: str):
    buyer = make_user()
    shop = make_shop()
    order = pay(buy(make_product(shop, keys=2), buyer=buyer)[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer")
    request = refund_request_create(order=order, reason="not_as_described", statement="面值不对", key_ids=[key.pk])
    refund_request_respond(request=request, shop=shop, action="reject", note=note)
    return buyer, shop, order, request


def test_a_rejection_note_with_a_lure_warns_the_buyer_and_the_merchant():
    buyer, shop, order, request = _rejected("卡密可以用，要退款加微信 shop_8888 私聊")

    buyer_page = _page(_as(buyer), reverse("web:order", args=[order.order_no]))
    merchant_page = _page(_as(shop.owner), reverse("aftersales:merchant_request", args=[request.request_no]))

    assert "shop_8888" in buyer_page and WARNING in buyer_page
    assert "shop_8888" in merchant_page and WARNING in merchant_page


def test_a_plain_rejection_note_shows_no_warning():
    buyer, shop, order, request = _rejected("卡密经核实可以正常使用，见充值记录")

    assert WARNING not in _page(_as(buyer), reverse("web:order", args=[order.order_no]))
    assert WARNING not in _page(_as(shop.owner), reverse("aftersales:merchant_request", args=[request.request_no]))


def test_a_delivery_note_with_a_lure_warns_the_buyer_and_the_merchant():
    buyer = make_user()
    shop = make_shop()
    order = pay(buy(make_product(shop, delivery="manual"), buyer=buyer, buyer_inputs={"account": "wzry-player-77"})[0])
    order_accept(order=order, shop=shop)
    order.refresh_from_db()
    order_deliver(order=order, shop=shop, note="代练完成。下次走 https://cheap-boost.example/order 便宜一半")

    assert WARNING in _page(_as(buyer), reverse("web:order", args=[order.order_no]))
    assert WARNING in _page(_as(shop.owner), reverse("merchants:order", args=[order.order_no]))


# --- /staff/risk/ ---------------------------------------------------------------------------


def test_risk_staff_see_the_flag_with_the_text_who_and_a_link_to_the_order():
    buyer, shop, order, request = _rejected("卡密可以用，要退款加微信 shop_8888 私聊")

    page = _page(_as(make_user(staff_role="risk")), reverse("backoffice:risk"))

    assert "卡密可以用，要退款加微信 shop_8888 私聊" in page
    assert shop.owner.username in page and "拒绝退款理由" in page
    assert reverse("backoffice:order", args=[order.order_no]) in page


def test_admins_see_the_flags_too_and_review_one():
    _rejected("加我vx: abc123")
    admin = make_user(staff_role="admin")
    flag = LureFlag.objects.get()

    response = _as(admin).post(reverse("backoffice:risk_lure_review", args=[flag.pk]), {"note": "已联系商家"})

    flag.refresh_from_db()
    assert response.status_code == 302 and (flag.reviewed_by_id, flag.review_note) == (admin.pk, "已联系商家")


@pytest.mark.parametrize("who", ["buyer", "merchant", "support"])
def test_others_do_not_see_the_flags(who):
    buyer, shop, _order, _request = _rejected("卡密可以用，要退款加微信 shop_8888 私聊")
    user = {"buyer": buyer, "merchant": shop.owner, "support": make_user(staff_role="support")}[who]
    client = _as(user)

    listing = client.get(reverse("backoffice:risk"))
    review = client.post(reverse("backoffice:risk_lure_review", args=[LureFlag.objects.get().pk]))

    expected = 403 if who == "support" else 404
    assert (listing.status_code, review.status_code) == (expected, expected)
    assert "shop_8888" not in listing.content.decode()
    assert LureFlag.objects.get().reviewed_at is None
