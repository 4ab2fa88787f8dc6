"""店铺档案 on the pages people look at: the shop page (the full record, charts), the product
page that is also the checkout (the headline), the public API — and the pages' query counts do
not grow with a shop's orders and reviews (they read the precomputed row)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_product, make_shop
from kadun.core import clock
from kadun.orders.models import Order
from kadun.reputation import services
from kadun.reputation.models import Review
from kadun.reputation.services_record import records_recompute
from tests.credit_data import confirmed_orders

pytestmark = pytest.mark.django_db


def _grow(shop, product, n, *, refunded=0, bad=0):
    """n confirmed orders of the product, ``refunded`` of them partly refunded, each reviewed
    (``bad`` of them with 1 star, spread over the last months)."""
    orders = confirmed_orders(shop, n, product=product)
    Order.objects.filter(pk__in=[o.pk for o in orders[:refunded]]).update(refunded_amount=100)
    Review.objects.bulk_create([
        Review(order=o, shop=shop, product=product, rating=1 if i < bad else 5, text="x", created_at=clock.now() - dt.timedelta(days=i % 80))
        for i, o in enumerate(orders)])
    services.score_recompute(shop_id=shop.pk)  # what the worker's duty does after the events


@pytest.fixture
def shop_product():
    shop = make_shop()
    product = make_product(shop, keys=3)
    return shop, product


def test_the_shop_page_shows_the_record_with_definitions_and_charts(client, shop_product):
    shop, product = shop_product
    _grow(shop, product, 20, refunded=2, bad=5)
    html = client.get(reverse("onboarding:shop", args=[shop.pk])).content.decode()
    assert "店铺档案" in html and "20 / 20" in html  # 成交量 30 / 90 days
    assert "10.0% (2/20)" in html  # 退款率
    assert "25.0% (5/20)" in html  # 差评率
    assert "近 90 天付款的订单中，有任何退款（全额或部分）的订单占比。" in html  # the rule, as computed
    assert 'id="ratings-chart"' in html and "数据在订单确认、全额退款、纠纷结案后约 30 秒内更新" in html
    assert html.count('id="shop-age"') == 1 and 'id="record-age"' not in html  # 经营时长 shown once (the shop head's)


def test_the_product_page_and_checkout_show_the_headline(client, shop_product):
    shop, product = shop_product
    _grow(shop, product, 20, refunded=2, bad=5)
    for response in (client.get(reverse("web:product", args=[product.pk])),
                     client.post(reverse("web:checkout", args=[product.pk]), {"quantity": "0"})):  # a refused checkout re-renders it
        html = response.content.decode()
        assert 'id="shop-record-headline"' in html, response.status_code
        assert "10.0% (2/20)" in html and "25.0% (5/20)" in html and "近30天成交" in html


def test_the_api_returns_the_record_with_its_counts(client, shop_product):
    shop, product = shop_product
    _grow(shop, product, 20, refunded=2, bad=5)
    body = client.get(f"/api/shops/{shop.pk}/record").json()
    assert (body["paid"], body["refunded"], body["refund_rate"]) == (20, 2, 0.1)
    assert (body["reviews"], body["bad_reviews"], body["bad_rate"]) == (20, 5, 0.25)
    assert body["credit"]["score"] == 700 and body["deposit"]["held"] == 0
    assert [f["key"] for f in body["figures"]][:3] == ["age", "confirmed", "bad_rate"]
    assert client.get("/api/shops/99999999/record").json()["code"] == "shop_not_found"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_queries_do_not_grow_with_orders_and_reviews(client, shop_product):
    shop, product = shop_product
    _grow(shop, product, 5, refunded=1, bad=1)
    small = (_queries(client, reverse("onboarding:shop", args=[shop.pk])), _queries(client, reverse("web:product", args=[product.pk])))
    _grow(shop, product, 200, refunded=20, bad=30)
    large = (_queries(client, reverse("onboarding:shop", args=[shop.pk])), _queries(client, reverse("web:product", args=[product.pk])))
    assert small == large


def test_a_shop_never_counted_shows_its_age_and_no_rates(client):
    shop = make_shop()
    product = make_product(shop, keys=1)
    records_recompute(shop_ids=[])  # nothing ran for this shop
    html = client.get(reverse("web:product", args=[product.pk])).content.decode()
    assert 'id="shop-record-headline"' in html and "—" in html
    assert "本店的档案尚未统计" in client.get(reverse("onboarding:shop", args=[shop.pk])).content.decode()
