"""Buyer pages through HTTP: checkout, order access, reveal, lookup and its rate limit."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.inventory.models import CardKey, Reveal
from kadun.inventory import crypto
from kadun.orders import passwords
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db


def _checkout(client, product, **data):
    """Checkout as the browser does it: POST, then follow the redirect to 订单已创建."""
    form = {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on", **data}
    return client.post(f"/p/{product.pk}/buy/", form, follow=True)


def _link_path(response) -> str:
    return re.search(r'id="access-link">[^<]*?(/o/[^<\s]+)', response.content.decode()).group(1)


def test_guest_checkout_creates_order_and_shows_access_link_once(product):
    client = Client()
    response = _checkout(client, product)
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT and order.contact == "guest@example.com"
    assert order.query_password != "chaxun123" and passwords.check("chaxun123", order.query_password)
    link = _link_path(response)
    assert order.access_token_hash not in link  # only the hash is stored, the link holds the token
    assert "no-store" in response["Cache-Control"]
    # The same session may open the order page; the page itself never repeats the link.
    page = client.get(f"/orders/{order.order_no}/")
    assert page.status_code == 200 and "/o/" not in page.content.decode()


def test_checkout_redirects_so_a_refresh_creates_no_second_order(product):
    client = Client()
    posted = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    order = Order.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/orders/{order.order_no}/created/"
    first = client.get(posted["Location"])
    refreshed = client.get(posted["Location"])
    assert first.status_code == refreshed.status_code == 200
    assert Order.objects.count() == 1
    assert "订单已创建" in refreshed.content.decode() and 'id="go-pay"' in refreshed.content.decode()


def test_access_link_is_shown_on_the_first_render_only_and_never_in_a_url(product):
    client = Client()
    posted = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    first = client.get(posted["Location"])
    link = _link_path(first)
    token = link.rsplit("/", 2)[-2]
    assert token not in posted["Location"]
    refreshed = client.get(posted["Location"]).content.decode()
    assert token not in refreshed and 'id="access-link"' not in refreshed
    assert "订单查询" in refreshed  # how to find it again
    assert token not in str(dict(client.session))  # dropped from the session once shown


def test_created_page_of_an_order_is_not_for_others(product):
    posted = Client().post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    other = Client().get(posted["Location"])
    assert other.status_code == 404 and 'id="access-link"' not in other.content.decode()


def test_created_page_of_a_paid_order_goes_to_the_order_page(product):
    client = Client()
    posted = client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    pay(Order.objects.get())
    again = client.get(posted["Location"])
    assert again.status_code == 302 and again["Location"] == f"/orders/{Order.objects.get().order_no}/"


def test_guest_checkout_without_contact_is_refused_and_creates_nothing(product):
    response = Client().post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "", "query_password": "x"}, follow=True)
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_quantity_above_limit_is_refused(shop):
    product = make_product(shop, keys=5, max_per_order=2)
    response = _checkout(Client(), product, quantity="3")
    assert response.status_code == 400 and Order.objects.count() == 0


def test_access_link_grants_a_fresh_browser_and_drops_the_token_from_the_url(product):
    response = _checkout(Client(), product)
    link = _link_path(response)
    fresh = Client()
    opened = fresh.get(link)
    order = Order.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/orders/{order.order_no}/"
    assert fresh.get(opened["Location"]).status_code == 200


def test_order_number_alone_reveals_nothing(product):
    order, _, _ = buy(product)
    pay(order)
    response = Client().get(f"/orders/{order.order_no}/")
    assert response.status_code == 404
    assert order.title not in response.content.decode()


def test_wrong_token_opens_nothing(product):
    buy(product)
    assert Client().get("/o/not-a-real-token-at-all-000000000000000/").status_code == 404


def test_guest_reveals_key_and_reveal_is_logged(product):
    client = Client(HTTP_USER_AGENT="TestPhone/1.0")
    _checkout(client, product)
    order = Order.objects.get()
    pay(order)
    key = CardKey.objects.get(order=order)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    plaintext = crypto.decrypt(key.secret)
    assert plaintext not in page  # masked until 查看卡密
    response = client.post(f"/orders/{order.order_no}/keys/{key.pk}/reveal/", REMOTE_ADDR="198.51.100.7")
    assert plaintext in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reveal = Reveal.objects.get()
    assert (reveal.ip, reveal.user_agent, reveal.actor) == ("198.51.100.7", "TestPhone/1.0", "guest")
    key.refresh_from_db()
    assert key.first_revealed_at == reveal.at


def test_other_buyer_cannot_open_or_reveal_an_order(product):
    alice, bob = make_user(), make_user()
    order, _, _ = buy(product, buyer=alice)
    pay(order)
    key = CardKey.objects.get(order=order)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/orders/{order.order_no}/").status_code == 404
    assert client.post(f"/orders/{order.order_no}/keys/{key.pk}/reveal/").status_code == 404
    assert client.post(f"/orders/{order.order_no}/confirm/").status_code == 404
    assert Reveal.objects.count() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_buyer_cannot_reveal_a_key_of_another_order_through_own_order(product):
    alice, bob = make_user(), make_user()
    mine, _, _ = buy(product, buyer=alice)
    theirs, _, _ = buy(product, buyer=bob)
    pay(mine), pay(theirs)
    their_key = CardKey.objects.get(order=theirs)
    client = Client()
    client.force_login(alice)
    response = client.post(f"/orders/{mine.order_no}/keys/{their_key.pk}/reveal/")
    assert response.status_code == 404
    assert crypto.decrypt(their_key.secret) not in response.content.decode()
    assert Reveal.objects.count() == 0


def test_merchant_sees_order_but_cannot_reveal(product):
    order, _, _ = buy(product)
    pay(order)
    key = CardKey.objects.get(order=order)
    client = Client()
    client.force_login(product.shop.owner)
    assert client.get(f"/orders/{order.order_no}/").status_code == 200
    response = client.post(f"/orders/{order.order_no}/keys/{key.pk}/reveal/")
    assert response.status_code == 404 and Reveal.objects.count() == 0


def test_another_merchant_cannot_see_the_order(product):
    order, _, _ = buy(product)
    other = make_shop()
    client = Client()
    client.force_login(other.owner)
    assert client.get(f"/orders/{order.order_no}/").status_code == 404


def test_lookup_with_order_number_and_password_opens_the_order(product):
    order, _, _ = buy(product, query_password="chaxun123")
    client = Client()
    response = client.post("/orders/lookup/", {"order_no": order.order_no, "query_password": "chaxun123", "no_reason_waived": "on"})
    assert response.status_code == 302
    assert client.get(f"/orders/{order.order_no}/").status_code == 200


def test_lookup_with_wrong_password_says_the_same_as_unknown_order(product):
    order, _, _ = buy(product, query_password="chaxun123")
    client = Client()
    wrong = client.post("/orders/lookup/", {"order_no": order.order_no, "query_password": "guess-1"})
    unknown = client.post("/orders/lookup/", {"order_no": "20990101" + "0" * 10, "query_password": "guess-1"})
    assert wrong.status_code == unknown.status_code == 404
    assert "订单号或查询密码不正确" in wrong.content.decode()
    assert client.get(f"/orders/{order.order_no}/").status_code == 404


def test_lookup_asks_for_a_captcha_per_order_number_even_with_the_right_password(product, settings):
    settings.KADUN_LOOKUP_RATE = "5/15m"
    order, _, _ = buy(product, query_password="chaxun123")
    for i in range(5):
        # each attempt from a different address: the per-order limit still counts them
        Client().post("/orders/lookup/", {"order_no": order.order_no, "query_password": f"guess-{i}"}, REMOTE_ADDR=f"203.0.113.{i}")
    client = Client()
    response = client.post("/orders/lookup/", {"order_no": order.order_no, "query_password": "chaxun123", "no_reason_waived": "on"}, REMOTE_ADDR="203.0.113.99")
    assert response.status_code == 400
    assert 'name="captcha_1"' in response.content.decode()
    assert client.get(f"/orders/{order.order_no}/").status_code == 404


def test_lookup_is_rate_limited_per_address(product, settings):
    settings.KADUN_LOOKUP_IP_RATE = "3/h"
    buy(product)
    client = Client()
    for i in range(3):
        client.post("/orders/lookup/", {"order_no": f"2026010100000000{i:02d}", "query_password": "x"})
    assert client.post("/orders/lookup/", {"order_no": "202601010000000099", "query_password": "x"}).status_code == 429


def test_buyer_confirms_receipt_on_the_order_page(product):
    buyer = make_user()
    order, _, _ = buy(product, buyer=buyer)
    pay(order)
    client = Client()
    client.force_login(buyer)
    response = client.post(f"/orders/{order.order_no}/confirm/")
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_signup_then_login_lockout_after_repeated_failures(db):
    client = Client()
    response = client.post("/signup/", {"username": "newbuyer", "password": "Kadun-pass-77", "password2": "Kadun-pass-77"})
    assert response.status_code == 302
    attacker = Client()
    for _ in range(5):
        attacker.post("/login/", {"username": "newbuyer", "password": "wrong-password"})
    locked = attacker.post("/login/", {"username": "newbuyer", "password": "Kadun-pass-77"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_storefront_lists_products_with_stock_and_price(product):
    page = Client().get("/").content.decode()
    assert product.title in page and "¥10.00" in page and "库存 5" in page


def test_pages_switch_to_english(product):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/").content.decode()


def test_not_found_page_is_chinese_and_leaks_nothing(db):
    response = Client().get("/p/99999999/")  # (an order page has its own: see test_order_access.py)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
