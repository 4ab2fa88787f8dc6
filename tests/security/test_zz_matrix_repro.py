import pytest
from django.test import Client
from conftest import make_shop, make_user, make_product
from kadun.accounts.services import api_key_create

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/products", "/api/merchant/products", "/api/merchant/orders", "/api/merchant/refund-requests"])
@pytest.mark.parametrize("page", ["969920851225539072", "99999999999999999999", "461168601842738791"])
def test_page(path, page):
    shop = make_shop()
    make_product(shop, keys=1)
    _k, secret = api_key_create(user=shop.owner, name="x")
    r = Client(headers={"Authorization": f"Bearer {secret}"}).get(path, {"page": page})
    print(path, page, r.status_code, r.content[:100])
    assert r.status_code < 500
