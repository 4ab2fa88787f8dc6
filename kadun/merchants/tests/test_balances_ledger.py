"""Every balance shown to a merchant is the ledger's: after partial refunds, before and after
release, on the dashboard and in the API."""
from __future__ import annotations

import re

import pytest
from django.db.models import Sum
from django.test import Client

from conftest import buy, make_product, make_shop, pay
from kadun.aftersales.services import refund_request_create, refund_request_respond
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.ledger import accounts as codes
from kadun.ledger.models import Account
from kadun.ledger.selectors import balance_of
from kadun.orders.services import order_confirm

pytestmark = pytest.mark.django_db


def _ledger(shop) -> dict[str, int]:
    from kadun.orders.models import Order

    orders = Order.objects.filter(shop=shop).values("id")
    return {
        "escrow": Account.objects.filter(kind="escrow", owner_id__in=orders).aggregate(s=Sum("balance"))["s"] or 0,
        "pending": balance_of(codes.merchant_pending(shop.pk)),
        "available": balance_of(codes.merchant_available(shop.pk)),
        "deposit": balance_of(codes.merchant_deposit(shop.pk)),
        "debt": -balance_of(codes.merchant_debt(shop.pk)),
    }


@pytest.fixture
def shop_after_partial_refunds():
    """Three orders: one key of two refunded unrevealed; a partial refund by the merchant while
    held; a partial refund after release."""
    shop = make_shop()
    product = make_product(shop, keys=10, price=1000)
    two = pay(buy(product, quantity=2)[0])
    first = CardKey.objects.filter(order=two).order_by("id").first()
    refund_request_create(order=two, reason="unrevealed", key_ids=[first.pk])  # 1000 back, 1000 held
    partial = pay(buy(product)[0])
    key = CardKey.objects.get(order=partial)
    key_reveal(order=partial, key_id=key.pk, actor="guest")
    request = refund_request_create(order=partial, reason="not_as_described", key_ids=[key.pk], statement="与描述不符")
    refund_request_respond(request=request, shop=shop, action="partial", amount=355, note="部分退款")  # 645 held
    released = pay(buy(product)[0])
    order_confirm(order_id=released.pk, actor="guest")
    key = CardKey.objects.get(order=released)
    key_reveal(order=released, key_id=key.pk, actor="guest")
    request = refund_request_create(order=released, reason="not_as_described", key_ids=[key.pk], statement="与描述不符")
    refund_request_respond(request=request, shop=shop, action="partial", amount=210, note="部分退款")  # from pending
    return shop


def test_merchant_api_balances_are_the_ledgers_after_partial_refunds(shop_after_partial_refunds):
    shop = shop_after_partial_refunds
    client = Client()
    client.force_login(shop.owner)

    shown = client.get("/api/merchant/balances").json()

    assert shown == _ledger(shop)
    assert shown["escrow"] == 1000 + 645


def test_dashboard_balances_are_the_ledgers_after_partial_refunds(shop_after_partial_refunds):
    shop = shop_after_partial_refunds
    client = Client()
    client.force_login(shop.owner)

    body = client.get("/merchant/").content.decode()

    ledger = _ledger(shop)
    for name in ("escrow", "pending", "available", "deposit"):
        shown = re.search(rf'id="bal-{name}">¥([0-9.]+)<', body).group(1)
        assert shown == f"{ledger[name] // 100}.{ledger[name] % 100:02d}", name
