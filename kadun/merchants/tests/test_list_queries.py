"""Lists that grow without bound cost the same number of queries at any size: the merchant's
orders and closed refund requests page by keyset, the storefront counts stock for one page only."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def merchant(client):
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


def test_merchant_order_list_queries_do_not_grow_with_the_orders(client, merchant):
    product = make_product(merchant, keys=80, price=100)
    for _ in range(25):
        buy(product)
    url = reverse("merchants:orders")
    few = queries(client, url)
    older = client.get(url).context["older_url"]
    deep_few = queries(client, url + older)
    for _ in range(50):
        buy(product)
    assert queries(client, url) == few
    assert queries(client, url + older) == deep_few


def test_storefront_queries_do_not_grow_with_products_or_pages(client):
    shop = make_shop()
    for _ in range(30):
        make_product(shop, keys=2)
    few = queries(client, "/")
    second = queries(client, "/?page=2")
    for _ in range(30):
        make_product(shop, keys=2)
    assert queries(client, "/") == few
    assert queries(client, "/?page=3") == second
    page = client.get("/?page=3").content.decode()
    assert "库存 2" in page  # stock still shown on a later page
