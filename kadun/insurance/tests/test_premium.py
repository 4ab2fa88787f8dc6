"""The premium: 2 % of the order's amount × the credit band's factor, rounded half up to the 分,
at least ¥0.10; the protection period by kind of goods; the terms frozen onto the order."""
from __future__ import annotations

import pytest

from conftest import buy, make_product
from kadun.insurance import terms
from kadun.insurance.models import Cover
from kadun.insurance.tests.helpers import set_score


@pytest.mark.parametrize(("band", "amount", "premium"), [
    ("high", 1000, 20), ("mid", 1000, 30), ("low", 1000, 40),
    ("high", 1025, 21),  # 20.5 分 rounds half up
    ("high", 100, 10), ("low", 100, 10),  # ¥1: 2 分 / 4 分 → the minimum ¥0.10
    ("low", 300, 12),  # 12 分: above the minimum
])
def test_premium_per_band_and_the_minimum(band, amount, premium):
    assert terms.premium_for(amount=amount, band=band) == premium


@pytest.mark.parametrize(("category", "delivery", "days"), [
    ("game_card", "auto", 7), ("software", "auto", 7), ("boosting", "manual", 30), ("game_account", "auto", 30),
])
def test_protection_days_by_kind_of_goods(category, delivery, days):
    kind = terms.kind_of(category=category, delivery=delivery)
    assert terms.protection_days_for(kind=kind, inspection_hours=24) == days


def test_the_protection_period_is_always_longer_than_the_inspection_window():
    assert terms.protection_days_for(kind="card_keys", inspection_hours=24 * 10) == 11


@pytest.mark.django_db
@pytest.mark.parametrize(("score", "premium"), [(850, 20), (700, 30), (500, 40)])
def test_checkout_freezes_the_terms_with_the_shops_band(score, premium):
    product = make_product(keys=2, price=1000)
    set_score(product.shop, score)
    order, _, _ = buy(product, insure=True)
    cover = Cover.objects.get(order=order)
    assert cover.premium == premium and cover.protection_days == 7
    assert cover.terms["premium"] == premium and cover.terms_hash == terms.terms_hash(cover.terms)
    assert order.payment.amount == 1000 + premium and order.amount == 1000


@pytest.mark.django_db
def test_without_the_tick_there_is_no_cover_and_no_premium():
    product = make_product(keys=2, price=1000)
    order, _, _ = buy(product)
    assert not Cover.objects.filter(order=order).exists() and order.payment.amount == 1000


@pytest.mark.django_db
def test_the_premium_is_on_the_whole_order_not_per_unit():
    product = make_product(keys=3, price=1000)
    set_score(product.shop, 850)
    order, _, _ = buy(product, insure=True, quantity=3)
    assert Cover.objects.get(order=order).premium == 60 and order.payment.amount == 3060
