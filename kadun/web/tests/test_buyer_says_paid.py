"""我已支付 through HTTP: the buyer of a pending Alipay order says they paid, the page shows
支付确认中 (the status badge keeps polling), the gateway is asked a minute later and the order
is delivered; nobody else may press it; it is rate-limited per order; and it reads in English."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_shop
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments import watch
from kadun.payments.models import Payment
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.web.tests.test_english_pages import chinese_in

pytestmark = pytest.mark.django_db


def guest_order(fake, *, lang: str = "", pay: bool = True):
    """A guest's browser holding a pending Alipay order, paid at the gateway (its notification lost)."""
    client = Client()
    if lang:
        client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    product = make_product(make_shop(name="Star Shop"), keys=2, price=1010, title="Steam Wallet 50")
    client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"})
    order = Order.objects.latest("id")
    payment = Payment.objects.get(order=order)
    assert payment.provider == "alipay"
    fake.open(payment.pay_url)
    if pay:
        fake.pay(payment.out_trade_no)
    return client, order, payment


def press(client, order):
    return client.post(reverse("web:buyer_says_paid", args=[order.order_no]))


def test_the_buyer_says_paid_and_the_order_is_delivered_a_minute_later(alipay):  # noqa: F811
    client, order, payment = guest_order(alipay)
    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="says-paid"' in page and "我已支付" in page and "支付确认中" not in page

    response = press(client, order)
    assert response.status_code == 302 and response["Location"] == reverse("web:order", args=[order.order_no])
    payment.refresh_from_db()
    assert payment.buyer_says_paid_at is not None
    deadline = Deadline.objects.get(kind=watch.KIND, subject_id=payment.pk)
    assert deadline.due_at == payment.buyer_says_paid_at + dt.timedelta(minutes=1)  # sooner than the 2-minute check

    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="confirming"' in page and "支付确认中" in page and "核实" in page and 'id="says-paid"' not in page
    assert reverse("web:order_status", args=[order.order_no]) in page  # the badge polls while it waits

    clock.advance(dt.timedelta(minutes=1, seconds=1))
    deadlines_sweep_all()
    outbox_deliver_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and CardKey.objects.filter(order=order).count() == 1
    polled = client.get(reverse("web:order_status", args=[order.order_no]), {"was": OrderStatus.PENDING_PAYMENT}, HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"


def test_no_payment_found_after_the_quick_checks_offers_the_button_again(alipay):  # noqa: F811
    client, order, payment = guest_order(alipay, pay=False)
    press(client, order)
    payment.refresh_from_db()
    clicked = payment.buyer_says_paid_at
    for minutes in (1, 3):  # the gateway asked at both quick checks, and says not paid
        clock.advance(clicked + dt.timedelta(minutes=minutes, seconds=1) - clock.now())
        deadlines_sweep_all()
        outbox_deliver_all()
    clock.advance(dt.timedelta(minutes=2))
    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="not-confirmed"' in page and 'id="says-paid"' in page
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT
    assert Payment.objects.get(pk=payment.pk).status == "pending"


def test_only_the_buyer_may_say_paid(alipay, django_user_model):  # noqa: F811
    _client, order, payment = guest_order(alipay)
    stranger = Client()
    assert press(stranger, order).status_code == 404
    assert stranger.get(reverse("web:buyer_says_paid", args=[order.order_no])).status_code == 405
    payment.refresh_from_db()
    assert payment.buyer_says_paid_at is None
    assert Deadline.objects.get(kind=watch.KIND, subject_id=payment.pk).due_at == payment.created_at + dt.timedelta(minutes=2)


def test_pressing_it_is_rate_limited_per_order(alipay):  # noqa: F811
    client, order, payment = guest_order(alipay, pay=False)
    for _ in range(6):
        assert press(client, order).status_code == 302
    payment.refresh_from_db()
    last = payment.buyer_says_paid_at
    clock.advance(dt.timedelta(seconds=5))
    page = client.post(reverse("web:buyer_says_paid", args=[order.order_no]), follow=True).content.decode()
    assert "操作太频繁" in page
    payment.refresh_from_db()
    assert payment.buyer_says_paid_at == last


def test_a_paid_order_is_not_pressed_again(alipay):  # noqa: F811
    client, order, payment = guest_order(alipay)
    from kadun.payments.tests.gateway_fixtures import post_notify

    assert post_notify("alipay", alipay.notification(payment.out_trade_no)) == (200, "success")
    page = client.post(reverse("web:buyer_says_paid", args=[order.order_no]), follow=True).content.decode()
    assert "订单已不是待支付状态" in page and 'id="says-paid"' not in page
    payment.refresh_from_db()
    assert payment.buyer_says_paid_at is None


def test_the_box_reads_in_english(alipay):  # noqa: F811
    client, order, _payment = guest_order(alipay, lang="en")
    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    box = page[page.index('<div id="payment-confirming">'):]
    box = box[:box.index("</div>") + 6]
    assert "I have paid" in box and chinese_in(box) == []
    press(client, order)
    page = client.get(reverse("web:order", args=[order.order_no])).content.decode()
    box = page[page.index('<div id="payment-confirming">'):]
    box = box[:box.index("</div>") + 6]
    assert "Confirming payment" in box and chinese_in(box) == []
