"""商家后台 through HTTP: a merchant opens a shop, lists products, imports keys, serves orders
and manages API keys — and never sees another shop's data, a key's plaintext or a buyer's IP."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_authenticate
from kadun.catalog.models import Product
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch
from kadun.inventory.services import key_reveal, keys_import
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.merchants.models import Shop
from kadun.orders.models import Order
from kadun.orders.services import order_accept, order_confirm
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def merchant(client):
    """A logged-in merchant's shop."""
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


def _product_post(**overrides):
    data = {
        "title": "王者荣耀 60 点券",
        "description": "自动发货",
        "category": "game_card",
        "delivery": "auto",
        "price": "12.34",
        "market_price": "",
        "inspection_hours": "",
        "max_per_order": "5",
        "is_active": "on",
        "buyer_fields": "",
    }
    data.update(overrides)
    return data


# --- shop ---------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("merchants:dashboard"))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_user_without_shop_is_sent_to_open_one_and_opens_it(client):
    user = make_user()
    client.force_login(user)
    response = client.get(reverse("merchants:products"))
    assert response.status_code == 302 and response["Location"] == reverse("merchants:open")

    response = client.post(reverse("merchants:open"), {"name": "  小明的卡铺 ", "description": "正版点卡"})
    assert response.status_code == 302 and response["Location"] == reverse("merchants:dashboard")
    shop = Shop.objects.get(owner=user)
    assert (shop.name, shop.description) == ("小明的卡铺", "正版点卡")
    assert balance_of(codes.merchant_available(shop.pk)) == 0


def test_shop_name_taken_is_shown_and_no_shop_created(client):
    make_shop(name="同名小店")
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("merchants:open"), {"name": "同名小店"})
    assert response.status_code == 200
    assert "店铺名称已被使用" in response.content.decode()
    assert not Shop.objects.filter(owner=user).exists()


# --- products -----------------------------------------------------------------------------


def test_product_price_in_yuan_is_stored_in_fen(client, merchant):
    response = client.post(reverse("merchants:product_new"), _product_post(price="12.34", market_price="15"))
    product = Product.objects.get(shop=merchant)
    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:key_import", args=[product.pk])
    assert (product.price, product.market_price) == (1234, 1500)
    assert product.inspection_hours == 24  # default window for keys
    assert (product.delivery, product.max_per_order, product.is_active) == ("auto", 5, True)


@pytest.mark.parametrize("price", ["12.345", "abc", "-1", "0", ""])
def test_bad_price_is_refused_and_nothing_created(client, merchant, price):
    response = client.post(reverse("merchants:product_new"), _product_post(price=price))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Product.objects.filter(shop=merchant).exists()


def test_service_error_is_shown_on_the_form(client, merchant):
    response = client.post(reverse("merchants:product_new"), _product_post(price="20000000"))  # over 1000万元
    assert "价格需在0.01元到1000万元之间" in response.content.decode()
    assert not Product.objects.filter(shop=merchant).exists()


def test_manual_product_buyer_fields_are_parsed_and_window_defaults_to_72h(client, merchant):
    client.post(reverse("merchants:product_new"), _product_post(
        title="代练上王者", category="boosting", delivery="manual", price="88",
        buyer_fields="account|游戏账号|yes\nserver|区服|no\n\nnote|备注",
    ))
    product = Product.objects.get(shop=merchant)
    assert product.delivery == "manual" and product.inspection_hours == 72 and product.price == 8800
    assert product.buyer_fields == [
        {"name": "account", "label": "游戏账号", "required": True},
        {"name": "server", "label": "区服", "required": False},
        {"name": "note", "label": "备注", "required": True},
    ]


def test_malformed_buyer_fields_are_refused(client, merchant):
    response = client.post(reverse("merchants:product_new"), _product_post(delivery="manual", buyer_fields="account|游戏账号|maybe"))
    assert response.status_code == 200
    assert not Product.objects.filter(shop=merchant).exists()


def test_edit_changes_price_but_not_delivery(client, merchant):
    product = make_product(merchant, price=1000)
    response = client.post(
        reverse("merchants:product_edit", args=[product.pk]),
        _product_post(title="改名了", price="20.5", delivery="manual", inspection_hours="48"),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.title, product.price, product.delivery, product.inspection_hours) == ("改名了", 2050, "auto", 48)


def test_product_list_shows_stock_and_can_take_a_product_off_sale(client, merchant):
    product = make_product(merchant, keys=3, price=990)
    page = client.get(reverse("merchants:products"))
    assert page.context["rows"][0]["product"].stock == 3
    assert "¥9.90" in page.content.decode()
    client.post(reverse("merchants:product_active", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert product.is_active is False


# --- keys ---------------------------------------------------------------------------------


def test_paste_import_refuses_duplicates_in_input_and_holds_other_shops_keys(client, merchant):
    other = make_shop(name="别人的店")
    keys_import(product=make_product(other), lines=[(1, "SHARED-KEY-0001")], source="test")
    product = make_product(merchant)
    text = "AAAA-0001\nBBBB-0002\nAAAA-0001\nSHARED-KEY-0001\n\nCCCC-0003\n"

    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"text": text})

    report = response.context["report"]
    assert report["imported"] == 4  # accepted: three new keys and the line held for review, not told apart
    assert report["duplicate_in_file_lines"] == [3]
    assert report["duplicate_existing_lines"] == []
    assert CardKey.objects.filter(product=product).count() == 3
    assert CardKey.objects.filter(shop=other).count() == 1
    body = response.content.decode()
    assert "别人的店" not in body
    batch = ImportBatch.objects.get(product=product)
    assert (batch.source, batch.imported, batch.held_for_review, batch.duplicate_in_file, batch.duplicate_existing) == ("paste", 3, 1, 1, 0)
    assert response.context["batches"][0].pk == batch.pk


def test_csv_upload_imports_codes_and_account_password_pairs(client, merchant):
    product = make_product(merchant)
    upload = SimpleUploadedFile("keys.csv", "卡密\nCSV-CODE-1\nplayer1,pa55word\n".encode("gb18030"), content_type="text/csv")

    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"file": upload})

    assert response.context["report"]["imported"] == 2
    secrets = sorted(crypto.decrypt(k.secret) for k in CardKey.objects.filter(product=product))
    assert secrets == ["CSV-CODE-1", "player1----pa55word"]
    assert ImportBatch.objects.get(product=product).source == "file"


def test_upload_of_other_file_types_is_refused(client, merchant):
    product = make_product(merchant)
    upload = SimpleUploadedFile("keys.xlsx", b"PK\x03\x04", content_type="application/octet-stream")
    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"file": upload})
    assert response.context["report"] is None
    assert not CardKey.objects.filter(product=product).exists()
    assert not ImportBatch.objects.filter(product=product).exists()


# --- dashboard ----------------------------------------------------------------------------


def test_dashboard_shows_balances_to_the_fen_and_orders_waiting(client, merchant):
    product = make_product(merchant, keys=2, price=1999)
    held, _, _ = buy(product)
    pay(held)
    confirmed, _, _ = buy(product)
    pay(confirmed)
    order_confirm(order_id=confirmed.pk, actor="buyer")
    service = make_product(merchant, delivery="manual", price=500)
    waiting, _, _ = buy(service, buyer_inputs={"account": "player1"})
    pay(waiting)

    response = client.get(reverse("merchants:dashboard"))

    balances = response.context["balances"]
    assert (balances["escrow"], balances["pending"], balances["available"], balances["deposit"]) == (1999 + 500, 1959, 0, 0)
    assert response.context["waiting"] == {"paid": 1, "in_service": 0}
    body = response.content.decode()
    assert "¥24.99" in body and "¥19.59" in body


# --- orders -------------------------------------------------------------------------------


def test_merchant_cannot_see_or_touch_another_shops_order_or_product(client, merchant):
    other = make_shop()
    their_product = make_product(other, keys=1)
    their_order, _, _ = buy(their_product)
    pay(their_order)

    assert client.get(reverse("merchants:order", args=[their_order.order_no])).status_code == 404
    assert client.get(reverse("merchants:product_edit", args=[their_product.pk])).status_code == 404
    assert client.get(reverse("merchants:key_import", args=[their_product.pk])).status_code == 404
    response = client.post(reverse("merchants:key_import", args=[their_product.pk]), {"text": "INJECTED-KEY-1"})
    assert response.status_code == 404
    response = client.post(reverse("merchants:product_edit", args=[their_product.pk]), _product_post(price="0.01"))
    assert response.status_code == 404
    assert client.post(reverse("merchants:product_active", args=[their_product.pk]), {"active": "0"}).status_code == 404
    their_product.refresh_from_db()
    assert (their_product.price, their_product.is_active) == (1000, True)
    assert CardKey.objects.filter(product=their_product).count() == 1
    assert their_order.order_no not in client.get(reverse("merchants:orders")).content.decode()


def test_buyer_and_staff_get_404_on_the_merchant_order_page(client, merchant):
    product = make_product(merchant, keys=1)
    buyer = make_user()
    order, _, _ = buy(product, buyer=buyer)
    pay(order)
    staff = make_user(staff_role="support")
    url = reverse("merchants:order", args=[order.order_no])
    for user in (buyer, staff):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_order_detail_shows_reveal_time_but_never_the_key_nor_the_buyers_ip(client, merchant):
    product = make_product(merchant, keys=1, price=1234)
    order, _, _ = buy(product)
    pay(order)
    key = CardKey.objects.get(order=order)
    _, plaintext = key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9", user_agent="SpyBrowser/9.9")
    key.refresh_from_db()

    response = client.get(reverse("merchants:order", args=[order.order_no]))

    body = response.content.decode()
    assert response.status_code == 200
    assert plaintext not in body and plaintext[-4:] in body  # masked: last 4 only
    assert "203.0.113.9" not in body and "SpyBrowser" not in body
    assert timezone.localtime(key.first_revealed_at).strftime("%Y-%m-%d %H:%M:%S") in body
    assert "¥12.34" in body and order.order_no in body
    assert response["Cache-Control"] == "no-store, private"


def test_order_list_filters_by_status_and_pages_by_twenty(client, merchant):
    product = make_product(merchant, keys=22, price=100)
    delivered, _, _ = buy(product)
    pay(delivered)
    for _ in range(21):
        buy(product)  # pending payment

    first = client.get(reverse("merchants:orders"))
    assert first.context["newer_url"] is None
    second = client.get(reverse("merchants:orders") + first.context["older_url"])
    back = client.get(reverse("merchants:orders") + second.context["newer_url"])
    only_delivered = client.get(reverse("merchants:orders"), {"status": "delivered"})

    assert len(first.context["rows"]) == 20 and len(second.context["rows"]) == 2
    assert second.context["older_url"] is None
    first_ids = [r["order"].pk for r in first.context["rows"]]
    assert first_ids == sorted(first_ids, reverse=True)  # newest first
    assert {r["order"].pk for r in second.context["rows"]}.isdisjoint(first_ids)
    assert [r["order"].pk for r in back.context["rows"]] == first_ids
    assert [r["order"].pk for r in only_delivered.context["rows"]] == [delivered.pk]
    assert only_delivered.context["older_url"] is None


def test_order_list_older_link_keeps_the_status_filter(client, merchant):
    product = make_product(merchant, keys=25, price=100)
    for _ in range(23):
        buy(product)  # pending payment
    first = client.get(reverse("merchants:orders"), {"status": "pending_payment"})
    assert "status=pending_payment" in first.context["older_url"]
    second = client.get(reverse("merchants:orders") + first.context["older_url"])
    assert len(second.context["rows"]) == 3
    assert client.get(reverse("merchants:orders"), {"before": "x'--"}).status_code == 200  # junk is ignored


def _paid_service_order(merchant):
    service = make_product(merchant, delivery="manual", price=3000)
    order, _, _ = buy(service, buyer_inputs={"account": "wzry-player-77"})
    return pay(order)


def test_manual_order_is_accepted_then_delivered_with_a_note_and_image(client, merchant, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    order = _paid_service_order(merchant)
    assert order.status == OrderStatus.PAID
    page = client.get(reverse("merchants:order", args=[order.order_no])).content.decode()
    assert "wzry-player-77" in page and "游戏账号" in page

    client.post(reverse("merchants:order_accept", args=[order.order_no]))
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE

    image = SimpleUploadedFile("done.png", PNG, content_type="image/png")
    response = client.post(reverse("merchants:order_deliver", args=[order.order_no]), {"note": "已代充完成，请登录查看", "image": image})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.delivery_note == "已代充完成，请登录查看"
    assert order.delivery_image.name
    assert order.delivered_at is not None


def test_deliver_with_a_non_image_upload_is_refused_and_order_unchanged(client, merchant):
    order = _paid_service_order(merchant)
    client.post(reverse("merchants:order_accept", args=[order.order_no]))
    fake = SimpleUploadedFile("shot.png", b"MZ\x90\x00 this is not an image", content_type="image/png")

    response = client.post(reverse("merchants:order_deliver", args=[order.order_no]), {"note": "完成", "image": fake})

    assert response.status_code == 400
    assert "图片需为 PNG、JPEG、GIF 或 WebP 格式" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE
    assert (order.delivery_note, order.delivery_image.name, order.delivered_at) == ("", "", None)


def test_accept_twice_shows_the_error_and_changes_nothing(client, merchant):
    order = _paid_service_order(merchant)
    url = reverse("merchants:order_accept", args=[order.order_no])
    client.post(url)
    response = client.post(url, follow=True)
    assert "该订单当前不能接单" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_SERVICE
    assert order.events.filter(kind="accepted").count() == 1


# --- API keys -----------------------------------------------------------------------------


def test_api_key_is_shown_once_and_stops_working_when_revoked(client, merchant):
    response = client.post(reverse("web:api_keys"), {"name": "发卡脚本", "scopes": ["merchant"]}, follow=True)
    secret = response.context["created"]["secret"]
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    assert api_key_authenticate(secret) == merchant.owner

    listing = client.get(reverse("web:api_keys"))
    assert secret not in listing.content.decode()
    assert "发卡脚本" in listing.content.decode()

    key = response.context["created"]["key"]
    client.post(reverse("web:api_key_revoke", args=[key.pk]))
    assert api_key_authenticate(secret) is None
    assert "已吊销" in client.get(reverse("web:api_keys")).content.decode()


def test_merchant_cannot_revoke_another_users_api_key(client, merchant):
    from kadun.accounts.services import api_key_create

    other = make_shop().owner
    key, secret = api_key_create(user=other, name="别人的密钥")
    response = client.post(reverse("web:api_key_revoke", args=[key.pk]), follow=True)
    assert "API 密钥不存在" in response.content.decode()
    assert api_key_authenticate(secret) == other
    assert "别人的密钥" not in client.get(reverse("web:api_keys")).content.decode()


def test_post_without_csrf_token_is_refused(merchant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(merchant.owner)
    response = client.post(reverse("web:api_keys"), {"name": "无令牌"})
    assert response.status_code == 403
    assert not merchant.owner.api_keys.exists()


# --- service milestones (标记进度) -----------------------------------------------------------


def _reload(obj):
    obj.refresh_from_db()
    return obj



def test_milestones_are_marked_in_order_and_out_of_range_is_refused(client, merchant):
    rules = {"milestones": [{"name": "接单", "refundable_bps": 10000}, {"name": "完成一半", "refundable_bps": 5000}]}
    service = make_product(merchant, delivery="manual", price=3000, refund_rules=rules)
    order, _, _ = buy(service, buyer_inputs={"account": "wzry-player-77"})
    order = pay(order)
    order_accept(order=order, shop=merchant)
    url = reverse("merchants:order_milestone", args=[order.order_no])

    page = client.get(reverse("merchants:order", args=[order.order_no])).content.decode()
    assert "标记「接单」已完成" in page and "完成后可退 50%" in page

    response = client.post(url, {"milestone": "3"}, follow=True)
    assert "服务进度节点不存在" in response.content.decode()
    assert _reload(order).milestone == 0

    client.post(url, {"milestone": "1"})
    assert _reload(order).milestone == 1

    response = client.post(url, {"milestone": "1"}, follow=True)
    assert "只能按顺序标记下一个进度节点「完成一半」" in response.content.decode()
    assert _reload(order).milestone == 1


def test_another_merchant_cannot_mark_a_milestone(client, merchant):
    other = make_shop()
    rules = {"milestones": [{"name": "接单", "refundable_bps": 10000}]}
    service = make_product(other, delivery="manual", refund_rules=rules)
    order, _, _ = buy(service, buyer_inputs={"account": "x1"})
    order = pay(order)
    order_accept(order=order, shop=other)

    response = client.post(reverse("merchants:order_milestone", args=[order.order_no]), {"milestone": "1"})

    assert response.status_code == 404
    assert _reload(order).milestone == 0
