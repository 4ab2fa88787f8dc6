"""The public catalog API through real HTTP calls."""
import pytest
from django.test import Client

from conftest import make_product, make_shop
from kadun.catalog.services import product_set_active
from kadun.merchants.models import Shop

pytestmark = pytest.mark.django_db


def test_storefront_lists_what_is_on_sale_with_stock_and_price_in_fen():
    shop = make_shop(name="诚信卡铺")
    on_sale = make_product(shop, keys=3, price=4550, market_price=5000, title="王者荣耀点卡 100元")
    withdrawn = make_product(shop, keys=1)
    product_set_active(shop=shop, product_id=withdrawn.pk, active=False)
    closed_shop = make_shop()
    make_product(closed_shop, keys=1)
    Shop.objects.filter(pk=closed_shop.pk).update(is_active=False)

    response = Client().get("/api/products")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"] == [{
        "id": on_sale.pk, "title": "王者荣耀点卡 100元", "description": "", "shop": {"id": shop.pk, "name": "诚信卡铺"},
        "price": 4550, "market_price": 5000, "delivery": "auto", "category": "game_card", "stock": 3,
        "inspection_hours": 24, "max_per_order": 10, "buyer_fields": [],
    }]


def test_storefront_filters_by_category_and_search():
    shop = make_shop(name="软件小店")
    office = make_product(shop, keys=1, category="software", title="Office 激活码")
    make_product(shop, keys=1, category="game_card", title="点卡")
    make_product(shop, delivery="manual", category="boosting", title="代练上分")

    by_category = Client().get("/api/products", {"category": "software"}).json()
    by_title = Client().get("/api/products", {"q": "office"}).json()
    by_shop = Client().get("/api/products", {"q": "软件小"}).json()
    unknown = Client().get("/api/products", {"category": "nope"})
    blank = Client().get("/api/products?category=&q=").json()

    assert [p["id"] for p in by_category["items"]] == [office.pk]
    assert [p["id"] for p in by_title["items"]] == [office.pk]
    assert by_shop["count"] == 3 and blank["count"] == 3
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_input"


def test_storefront_pages_are_at_most_one_hundred_items():
    shop = make_shop()
    ids = [make_product(shop, price=100 + i).pk for i in range(3)]

    first = Client().get("/api/products", {"page_size": 2}).json()
    second = Client().get("/api/products", {"page_size": 2, "page": 2}).json()
    huge = Client().get("/api/products", {"page_size": 100000}).json()

    assert first["count"] == 3 and len(first["items"]) == 2
    assert [p["id"] for p in first["items"] + second["items"]] == sorted(ids, reverse=True)
    assert len(huge["items"]) == 3


def test_product_detail_shows_buyer_fields_of_a_service():
    product = make_product(delivery="manual", category="topup", price=3000)

    response = Client().get(f"/api/products/{product.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["delivery"], body["stock"], body["price"]) == ("manual", 0, 3000)
    assert body["buyer_fields"] == [{"name": "account", "label": "游戏账号", "required": True}]


def test_withdrawn_or_missing_product_is_404():
    product = make_product(keys=1)
    product_set_active(shop=product.shop, product_id=product.pk, active=False)

    for product_id in (product.pk, product.pk + 999):
        response = Client().get(f"/api/products/{product_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"
