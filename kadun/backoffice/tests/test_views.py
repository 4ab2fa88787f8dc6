"""The staff console through HTTP: who gets in, what staff see, and what it costs per page."""
from __future__ import annotations

import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.inventory.crypto import decrypt
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LIST = reverse("backoffice:home")
LEDGER = reverse("backoffice:ledger_check")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Every guest checkout hashes a query password; PBKDF2 at full strength costs ~1 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def detail_url(order) -> str:
    return reverse("backoffice:order", args=[order.order_no])


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def support(client):
    return login(client, make_user(staff_role="support"))


@pytest.fixture
def paid_order(shop):
    product = make_product(shop, keys=3, price=1000)
    order, _, _ = buy(product, quantity=2)
    return pay(order)


def assert_hidden(response, order):
    assert response.status_code == 404
    body = response.content.decode()
    assert order.order_no not in body
    assert order.shop.name not in body
    assert "escrow:order" not in body


def test_anonymous_gets_404_on_every_staff_page(client, paid_order):
    for url in (LIST, detail_url(paid_order), LEDGER, LIST + "?q=" + paid_order.order_no):
        assert_hidden(client.get(url), paid_order)


def test_buyer_of_the_order_gets_404_on_every_staff_page(client, shop):
    buyer = make_user()
    order, _, _ = buy(make_product(shop, keys=1), buyer=buyer)
    pay(order)
    login(client, buyer)
    for url in (LIST, detail_url(order), LEDGER):
        assert_hidden(client.get(url), order)


def test_merchant_who_sold_the_order_gets_404_on_every_staff_page(client, paid_order):
    login(client, paid_order.shop.owner)
    for url in (LIST, detail_url(paid_order), LEDGER):
        assert_hidden(client.get(url), paid_order)


def test_non_staff_post_is_404_too(client, paid_order):
    login(client, make_user())
    assert client.post(LIST, {"status": "paid"}).status_code == 404


def test_support_sees_every_shops_orders_newest_first_in_yuan_and_beijing_time(support):
    older, _, _ = buy(make_product(make_shop(name="老店"), keys=1, price=1999))
    newer, _, _ = buy(make_product(make_shop(name="新店"), keys=2, price=250), quantity=2)
    pay(newer)
    response = support.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(newer.order_no) < body.index(older.order_no)
    assert "老店" in body and "新店" in body
    assert "19.99" in body and "5.00" in body
    assert "待支付" in body and "已发货，验货中" in body
    shown = older.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    assert shown in body
    assert older.created_at.strftime("%Y-%m-%d %H:%M:%S") not in body  # not UTC


def test_status_filter_narrows_the_list(support, shop):
    product = make_product(shop, keys=2)
    unpaid, _, _ = buy(product)
    delivered, _, _ = buy(product)
    pay(delivered)
    body = support.get(LIST, {"status": OrderStatus.DELIVERED}).content.decode()
    assert delivered.order_no in body
    assert unpaid.order_no not in body
    body = support.get(LIST, {"status": OrderStatus.PENDING_PAYMENT}).content.decode()
    assert unpaid.order_no in body
    assert delivered.order_no not in body


def test_order_number_search_finds_exactly_that_order(support, shop):
    product = make_product(shop, keys=3)
    orders = [buy(product)[0] for _ in range(3)]
    body = support.get(LIST, {"q": f"  {orders[1].order_no} "}).content.decode()
    assert orders[1].order_no in body
    assert orders[0].order_no not in body and orders[2].order_no not in body


def test_shop_name_search_narrows_the_list(support):
    mine, _, _ = buy(make_product(make_shop(name="星辰游戏点卡"), keys=1))
    other, _, _ = buy(make_product(make_shop(name="月光软件"), keys=1))
    body = support.get(LIST, {"q": "星辰"}).content.decode()
    assert mine.order_no in body
    assert other.order_no not in body


def test_unknown_status_is_ignored_rather_than_hiding_everything(support, paid_order):
    body = support.get(LIST, {"status": "bogus"}).content.decode()
    assert paid_order.order_no in body


def test_pages_walk_older_and_back_newer_without_gaps(support, shop, monkeypatch):
    from kadun.backoffice import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    product = make_product(shop, keys=5)
    numbers = [buy(product)[0].order_no for _ in range(5)][::-1]  # newest first

    def shown(response):
        body = response.content.decode()
        return [n for n in numbers if n in body]

    first = support.get(LIST)
    assert shown(first) == numbers[:2]
    assert first.context["newer_url"] is None
    second = support.get(LIST + first.context["older_url"])
    assert shown(second) == numbers[2:4]
    third = support.get(LIST + second.context["older_url"])
    assert shown(third) == numbers[4:]
    assert third.context["older_url"] is None
    back = support.get(LIST + third.context["newer_url"])
    assert shown(back) == numbers[2:4]
    assert shown(support.get(LIST + back.context["newer_url"])) == numbers[:2]


def test_garbage_paging_parameters_show_the_first_page(support, paid_order):
    for junk in ("²", "-1", "abc", "9" * 40):
        response = support.get(LIST, {"before": junk, "after": junk})
        assert response.status_code == 200
        assert paid_order.order_no in response.content.decode()


def test_paging_keeps_the_status_filter(support, shop, monkeypatch):
    from kadun.backoffice import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    product = make_product(shop, keys=3)
    first_paid = pay(buy(product)[0])
    unpaid, _, _ = buy(product)
    second_paid = pay(buy(product)[0])
    page1 = support.get(LIST, {"status": OrderStatus.DELIVERED})
    assert second_paid.order_no in page1.content.decode()
    page2 = support.get(LIST + page1.context["older_url"]).content.decode()
    assert first_paid.order_no in page2
    assert unpaid.order_no not in page2


def test_order_list_costs_the_same_number_of_queries_for_5_and_30_orders(support, shop):
    product = make_product(shop, keys=30)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = support.get(LIST)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    for _ in range(5):
        pay(buy(product)[0])
    few, _ = count_queries()
    for _ in range(25):
        buy(product)
    many, response = count_queries()
    assert len(response.context["orders"]) == 30
    assert many == few


def test_order_list_never_counts_the_whole_table(support, paid_order):
    with CaptureQueriesContext(connection) as ctx:
        support.get(LIST)
        support.get(LIST, {"status": OrderStatus.DELIVERED})
    assert not [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


def test_support_sees_the_whole_order_with_reveal_ip_but_never_the_key(support, paid_order):
    keys = list(CardKey.objects.filter(order=paid_order).order_by("id"))
    secrets = [decrypt(k.secret) for k in keys]
    key_reveal(order=paid_order, key_id=keys[0].pk, actor="guest", ip="203.0.113.9", user_agent="Mozilla/5.0 TestPhone")
    keys[0].refresh_from_db()

    response = support.get(detail_url(paid_order))
    assert response.status_code == 200
    body = response.content.decode()
    # who, what, how much
    assert paid_order.contact in body
    assert paid_order.shop.name in body
    assert "20.00" in body and "10.00" in body
    assert "已发货，验货中" in body
    # timeline, payment, ledger
    assert "已支付并自动发货" in body
    assert paid_order.payment.out_trade_no in body
    assert f"escrow:order:{paid_order.pk}" in body and "external:sandbox" in body
    assert "-20.00" in body
    # keys: masked, first reveal time; the reveal log with address and browser
    assert "203.0.113.9" in body
    assert "Mozilla/5.0 TestPhone" in body
    assert keys[0].first_revealed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") in body
    assert "尚未查看" in body  # the second key
    for secret in secrets:
        assert secret not in body
        assert "••••••••" + secret[-4:] in body


def test_support_sees_refunds_of_an_order_paid_after_stock_ran_out(support, shop):
    product = make_product(shop, keys=1, price=800)
    first, _, _ = buy(product)
    second, _, _ = buy(product)
    pay(first)
    second = pay(second)
    assert second.status == OrderStatus.REFUNDED
    body = support.get(detail_url(second)).content.decode()
    assert second.refunds.get().refund_no in body
    assert "付款时库存已售罄" in body
    assert "已退款" in body
    assert "-8.00" in body  # escrow emptied back to the gateway


def test_logged_in_buyer_is_named_on_the_staff_order_page(support, shop):
    buyer = make_user("zhangsan", email="zs@example.com")
    order, _, _ = buy(make_product(shop, keys=1), buyer=buyer)
    body = support.get(detail_url(order)).content.decode()
    assert "zhangsan" in body and "zs@example.com" in body


def test_unknown_order_number_is_404_for_staff(support):
    assert support.get(reverse("backoffice:order", args=["20990101000000"])).status_code == 404


def test_ledger_check_says_ok_on_a_clean_history(support, paid_order):
    response = support.get(LEDGER)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="check-result">OK<' in body
    assert response.context["report"].checked["orders"] == 1
    assert dict(response.context["checked"])["订单"] == 1


def test_ledger_check_lists_a_violation_after_a_raw_sql_tamper(support, paid_order):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE code = %s", [f"escrow:order:{paid_order.pk}"])
    response = support.get(LEDGER)
    body = response.content.decode()
    assert 'id="check-result">OK<' not in body
    assert f"account escrow:order:{paid_order.pk}: stored balance 2001 != postings 2000" in body
    assert f"order {paid_order.order_no} (delivered): escrow 2001 != expected 2000" in body
