"""The staff order page speaks to people: event kinds, statuses, refund reasons, payment
providers, ledger entry kinds, reveal actors and buyer inputs are shown as labels, not codes."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.services import refund_request_create
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.merchants.tests.html import section
from kadun.orders.services import order_accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    client.force_login(make_user(staff_role="support"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _page(client, order) -> str:
    response = client.get(reverse("backoffice:order", args=[order.order_no]))
    assert response.status_code == 200
    return response.content.decode()


def _refunded_unrevealed():
    """Two keys, one revealed by the guest; the other refunded in one click as 未查看."""
    product = make_product(make_shop(), keys=2, price=1000)
    order, _, _ = buy(product, quantity=2)
    order = pay(order)
    first, second = CardKey.objects.filter(order=order).order_by("id")
    key_reveal(order=order, key_id=first.pk, actor="guest", ip="203.0.113.9")
    refund_request_create(order=order, reason="unrevealed", key_ids=[second.pk])
    return order


def test_timeline_refunds_and_ledger_show_labels_not_codes(support):
    order = _refunded_unrevealed()

    page = _page(support, order)

    timeline, payments, entries = section(page, "timeline"), section(page, "payments"), section(page, "entries")
    assert "已支付并自动发货" in timeline and "待支付 → 已发货，验货中" in timeline
    assert "部分退款" in timeline
    assert "退款申请：未查看-想退款" in payments and "原路退回" in payments
    assert "沙箱支付" in payments
    assert "付款" in entries and "退款" in entries
    for code in ("paid_delivered", "partially_refunded", "pending_payment", "refund_request:", "unrevealed"):
        assert code not in page, code
    assert not re.search(r">\s*(sandbox|payment|refund|guest|source)\s*<", page)
    assert "游客买家" in section(page, "reveals")


def test_an_order_refunded_at_payment_for_lack_of_stock_says_so(support):
    product = make_product(make_shop(), keys=1, price=800)
    first, _, _ = buy(product)
    second, _, _ = buy(product)
    pay(first)
    second = pay(second)

    page = _page(support, second)

    assert "付款时库存已售罄" in section(page, "payments")
    assert "out_of_stock" not in page


def test_buyer_inputs_are_shown_with_the_products_labels(support):
    shop = make_shop()
    product = make_product(shop, delivery="manual", buyer_fields=[{"name": "uid", "label": "游戏UID", "required": True}])
    order, _, _ = buy(product, buyer_inputs={"uid": "1008611"})
    order = pay(order)
    order_accept(order=order, shop=shop)

    page = _page(support, order)

    assert "游戏UID" in page and "1008611" in page
    assert not re.search(r"买家填写 · uid\b", page)
    assert "商家接单" in section(page, "timeline")


def test_the_labels_have_english_translations(support):
    order = _refunded_unrevealed()
    support.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = _page(support, order)

    assert "Refund request: Not viewed" in section(page, "payments")
    assert "Sandbox" in section(page, "payments")
    assert "Paid and delivered automatically" in section(page, "timeline")
