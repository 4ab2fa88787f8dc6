"""The merchant API through real HTTP calls: own shop only, everything else is 404."""
import datetime as dt

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.models import ApiKey
from kadun.accounts.services import api_key_create
from kadun.catalog.models import Product
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch
from kadun.orders.services import order_confirm
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    _key, secret = api_key_create(user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


def as_merchant(shop) -> Client:
    return Client(headers=bearer(shop.owner))


def post_json(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def patch_json(client, url, data, **kwargs):
    return client.patch(url, data, content_type="application/json", **kwargs)


def snapshot(product) -> dict:
    return Product.objects.filter(pk=product.pk).values().get()


def test_no_credentials_is_401_and_a_user_without_a_shop_is_403():
    anonymous = Client().get("/api/merchant/products")
    buyer_only = Client(headers=bearer(make_user())).get("/api/merchant/balances")

    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert buyer_only.status_code == 403 and buyer_only.json()["code"] == "not_a_merchant"


def test_merchant_creates_a_product_and_lists_only_its_own():
    mine, theirs = make_shop(), make_shop()
    make_product(theirs, keys=1)

    created = post_json(as_merchant(mine), "/api/merchant/products", {
        "title": "Steam 充值卡 50元", "price": 4800, "market_price": 5000, "category": "game_card",
    })
    listed = as_merchant(mine).get("/api/merchant/products").json()

    assert created.status_code == 201
    product = Product.objects.get(pk=created.json()["id"])
    assert (product.shop_id, product.price, product.market_price, product.inspection_hours) == (mine.pk, 4800, 5000, 24)
    assert listed["count"] == 1 and [p["id"] for p in listed["items"]] == [product.pk]


def test_invalid_product_is_refused_and_nothing_is_created():
    shop = make_shop()
    client = as_merchant(shop)

    schema_error = post_json(client, "/api/merchant/products", {"title": "卡", "price": 0})
    domain_error = post_json(client, "/api/merchant/products", {
        "title": "代练", "price": 100, "delivery": "manual", "buyer_fields": [{"name": "Bad Name", "label": "账号"}],
    })

    assert schema_error.status_code == 422 and schema_error.json()["code"] == "invalid_input"
    assert domain_error.status_code == 400 and domain_error.json()["code"] == "invalid_buyer_fields"
    assert not Product.objects.exists()


def test_merchant_cannot_read_or_change_another_shops_product():
    mine, theirs = make_shop(), make_shop()
    their_product = make_product(theirs, keys=1, price=1000)
    before = snapshot(their_product)
    client = as_merchant(mine)

    read = client.get(f"/api/merchant/products/{their_product.pk}")
    change = patch_json(client, f"/api/merchant/products/{their_product.pk}", {"price": 1, "is_active": False})

    for response in (read, change):
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"
    assert snapshot(their_product) == before


def test_merchant_cannot_import_keys_into_another_shops_product():
    mine, theirs = make_shop(), make_shop()
    their_product = make_product(theirs, keys=1)

    response = post_json(as_merchant(mine), f"/api/merchant/products/{their_product.pk}/keys", {"keys": ["PLANTED-KEY-0001-XYZ"]})

    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
    assert CardKey.objects.filter(product=their_product).count() == 1
    assert not ImportBatch.objects.filter(shop=mine).exists()


def test_key_import_reports_duplicates_and_invalid_lines_by_line_number():
    shop = make_shop()
    product = make_product(shop, keys=1)
    existing = crypto.decrypt(CardKey.objects.get(product=product).secret)
    keys = ["NEW-KEY-0001-AAAA", "NEW-KEY-0002-BBBB", "NEW-KEY-0001-AAAA", "   ", existing, "x" * 501]

    response = post_json(as_merchant(shop), f"/api/merchant/products/{product.pk}/keys", {"keys": keys})

    assert response.status_code == 200
    report = response.json()
    assert (report["total_lines"], report["imported"]) == (6, 2)
    assert report["duplicate_in_file_lines"] == [3]
    assert report["duplicate_existing_lines"] == [5]
    assert report["invalid_lines"] == [4, 6]
    assert as_merchant(shop).get(f"/api/merchant/products/{product.pk}").json()["stock"] == 3
    assert ImportBatch.objects.get(pk=report["batch_id"]).source == "api"
    for secret in keys[:2]:
        assert secret.encode() not in response.content


def test_merchant_sees_only_its_own_orders_and_cannot_act_on_others():
    mine, theirs = make_shop(), make_shop()
    my_order, _, _ = buy(make_product(mine, keys=1))
    their_service = make_product(theirs, delivery="manual")
    their_order, _, _ = buy(their_service, buyer_inputs={"account": "player-1"})
    their_order = pay(their_order)
    client = as_merchant(mine)

    listed = client.get("/api/merchant/orders").json()
    answers = [
        client.get(f"/api/merchant/orders/{their_order.order_no}"),
        client.get(f"/api/orders/{their_order.order_no}"),
        client.post(f"/api/merchant/orders/{their_order.order_no}/accept"),
        post_json(client, f"/api/merchant/orders/{their_order.order_no}/deliver", {"note": "done"}),
    ]

    assert [o["order_no"] for o in listed["items"]] == [my_order.order_no]
    for response in answers:
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"
        assert b"player-1" not in response.content
    their_order.refresh_from_db()
    assert their_order.status == OrderStatus.PAID and their_order.delivery_note == ""


def test_merchant_accepts_and_delivers_a_service_the_buyer_then_reads():
    shop = make_shop()
    service = make_product(shop, delivery="manual", price=3000)
    buyer = make_user()
    order, _, _ = buy(service, buyer=buyer, buyer_inputs={"account": "player-42"})
    pay(order)
    client = as_merchant(shop)

    waiting = client.get("/api/merchant/orders", {"status": "paid"}).json()
    detail = client.get(f"/api/merchant/orders/{order.order_no}").json()
    accepted = client.post(f"/api/merchant/orders/{order.order_no}/accept")
    delivered = post_json(client, f"/api/merchant/orders/{order.order_no}/deliver", {"note": "已充值到账，请查收"})

    assert [o["order_no"] for o in waiting["items"]] == [order.order_no]
    assert detail["buyer_inputs"] == {"account": "player-42"} and detail["payment"] is None
    assert accepted.json()["status"] == "in_service"
    assert delivered.json()["status"] == "delivered"
    seen_by_buyer = Client(headers=bearer(buyer)).get(f"/api/orders/{order.order_no}").json()
    assert seen_by_buyer["delivery_note"] == "已充值到账，请查收"
    assert [e["to_status"] for e in seen_by_buyer["events"] if e["actor"] == "merchant"] == ["in_service", "delivered"]


def test_deliver_without_a_note_is_422_and_changes_nothing():
    shop = make_shop()
    order, _, _ = buy(make_product(shop, delivery="manual"), buyer_inputs={"account": "p"})
    pay(order)

    response = post_json(as_merchant(shop), f"/api/merchant/orders/{order.order_no}/deliver", {"note": ""})

    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_unknown_status_filter_is_422():
    response = as_merchant(make_shop()).get("/api/merchant/orders", {"status": "lost"})

    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_balances_follow_escrow_confirmation_and_settlement_to_the_fen():
    shop = make_shop()
    product = make_product(shop, keys=2, price=1999)
    held, _, _ = buy(product)
    confirmed, _, _ = buy(product)
    pay(held)
    pay(confirmed)
    order_confirm(order_id=confirmed.pk, actor="guest")
    client = as_merchant(shop)

    before = client.get("/api/merchant/balances").json()
    clock.advance(dt.timedelta(hours=73))
    deadlines_sweep_all()
    after = client.get("/api/merchant/balances").json()

    assert before == {"escrow": 1999, "pending": 1959, "available": 0, "deposit": 0, "debt": 0}
    # The held order auto-confirmed after 24h; its money settles 72h after that.
    assert after == {"escrow": 0, "pending": 1959, "available": 1959, "deposit": 0, "debt": 0}


def test_api_key_is_created_in_a_session_shown_once_and_revoked_by_id():
    shop = make_shop()
    browser = Client()
    browser.force_login(shop.owner)

    created = post_json(browser, "/api/merchant/api-keys", {"name": "发货脚本"})
    secret = created.json()["secret"]
    key_id = created.json()["key"]["id"]
    script = Client(headers={"Authorization": f"Bearer {secret}"})
    listed = script.get("/api/merchant/api-keys")
    minted_by_key = post_json(script, "/api/merchant/api-keys", {"name": "another"})
    revoked = script.delete(f"/api/merchant/api-keys/{key_id}")
    after = script.get("/api/merchant/products")

    assert created.status_code == 201 and secret.startswith("kd_")
    assert listed.status_code == 200 and [k["name"] for k in listed.json()] == ["发货脚本"]
    assert secret.encode() not in listed.content
    assert minted_by_key.status_code == 403 and minted_by_key.json()["code"] == "session_required"
    assert revoked.status_code == 204
    assert after.status_code == 401 and after.json()["code"] == "invalid_api_key"
    assert ApiKey.objects.filter(user=shop.owner).count() == 1


def test_merchant_cannot_revoke_another_users_api_key():
    mine, theirs = make_shop(), make_shop()
    their_key, their_secret = api_key_create(user=theirs.owner, name="theirs")

    response = as_merchant(mine).delete(f"/api/merchant/api-keys/{their_key.pk}")

    assert response.status_code == 404 and response.json()["code"] == "api_key_not_found"
    still = Client(headers={"Authorization": f"Bearer {their_secret}"}).get("/api/merchant/products")
    assert still.status_code == 200


def test_patch_changes_only_the_fields_sent_and_refuses_null_where_a_value_is_required():
    shop = make_shop()
    product = make_product(shop, price=1000, market_price=1200, title="原标题")
    client = as_merchant(shop)

    refused = patch_json(client, f"/api/merchant/products/{product.pk}", {"title": None})
    changed = patch_json(client, f"/api/merchant/products/{product.pk}", {"price": 888, "market_price": None})

    assert refused.status_code == 422 and refused.json()["code"] == "invalid_input"
    assert changed.status_code == 200
    product.refresh_from_db()
    assert (product.title, product.price, product.market_price, product.delivery) == ("原标题", 888, None, "auto")


def test_merchant_session_write_without_csrf_token_is_refused():
    shop = make_shop()
    product = make_product(shop, price=1000)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(shop.owner)

    response = patch_json(browser, f"/api/merchant/products/{product.pk}", {"price": 1})
    keys = post_json(browser, "/api/merchant/api-keys", {"name": "x"})

    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert keys.status_code == 403
    product.refresh_from_db()
    assert product.price == 1000
    assert not ApiKey.objects.exists()
