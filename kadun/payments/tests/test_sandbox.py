"""The sandbox gateway's own pay page, as a buyer uses it: pay, fail, try again until the order
expires. Everything goes through HTTP, as the buyer's browser sends it."""
import datetime as dt
import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop
from kadun.core import clock
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment, SandboxTrade
from kadun.payments.states import PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db):
    order, _token, _url = buy(make_product(make_shop(), keys=2, price=4850))
    return order


def _page(order):
    return f"/pay/sandbox/{order.payment.out_trade_no}/"


def _text(body: str) -> str:
    """What the buyer reads: the page without its tags and attributes."""
    return re.sub(r"<[^>]+>", " ", body)


def _click(order, action: str):
    response = Client().post(_page(order), {"action": action})
    outbox_deliver_all()  # the gateway's asynchronous notification
    return response


def test_a_failed_payment_can_be_paid_on_a_second_try(order):
    _click(order, "fail")
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT

    _click(order, "pay")
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_after_a_failure_the_page_offers_to_pay_again_in_chinese(order):
    _click(order, "fail")
    body = Client().get(_page(order)).content.decode()
    assert "支付失败" in _text(body) and "failed" not in _text(body)
    assert 'id="sandbox-pay"' in body and "重新支付" in body


def test_the_page_shows_chinese_status_labels_not_codes(order):
    body = Client().get(_page(order)).content.decode()
    assert "待支付" in _text(body) and "created" not in _text(body)
    _click(order, "pay")
    body = Client().get(_page(order)).content.decode()
    assert "已支付" in _text(body) and "paid" not in _text(body)
    assert 'id="sandbox-pay"' not in body  # paid once is paid


def test_a_paid_trade_cannot_be_turned_into_a_failure(order):
    _click(order, "pay")
    _click(order, "fail")
    assert SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no).status == "paid"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_no_payment_once_the_order_has_expired(order):
    _click(order, "fail")
    clock.advance(dt.timedelta(minutes=16))
    body = Client().get(_page(order)).content.decode()
    assert 'id="sandbox-pay"' not in body and "交易已关闭" in body
    _click(order, "pay")
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
    assert SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no).status == "failed"


def test_order_page_says_the_last_payment_failed_and_offers_to_pay_again(order):
    client = Client()
    session = client.session
    session["kadun_order_grants"] = [order.pk]
    session.save()
    _click(order, "fail")
    body = client.get(f"/orders/{order.order_no}/").content.decode()
    assert "上次支付未成功" in body and 'id="go-pay"' in body
