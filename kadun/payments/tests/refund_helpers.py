"""Helpers for the refund lifecycle tests: a paid order at a fake gateway, a refund of it, the
clock moved to the next step, and the pages the buyer and staff see."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_user
from kadun.core import clock
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.services import order_refund
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund
from kadun.payments.tests.gateway_fixtures import post_notify


def paid_order(fake, provider: str, price: int = 1010):
    """(order, guest token): bought as a guest, paid at the fake gateway, delivered."""
    product = make_product(keys=2, price=price)
    order, token, pay_url = buy(product, provider=provider)
    fake.open(pay_url)
    fake.pay(order.payment.out_trade_no)
    assert post_notify(provider, fake.notification(order.payment.out_trade_no)) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    return order, token


def issue(order, amount: int = 1010, key: str = "r1") -> Refund:
    with transaction.atomic():
        return order_refund(order_id=order.pk, amount=amount, reason="测试退款", sources=(OrderStatus.DELIVERED,), key=key)


def step(refund: Refund, *, after: dt.timedelta = dt.timedelta(0)) -> Refund:
    """Let ``after`` pass, send what the outbox has due, and read the refund again."""
    if after:
        clock.advance(after)
    outbox_deliver_all()
    refund.refresh_from_db()
    return refund


def kinds(refund: Refund) -> list[str]:
    return list(refund.events.order_by("at", "id").values_list("kind", flat=True))


def buyer_page(order, token: str) -> str:
    client = Client()
    assert client.get(reverse("web:order_open", args=[token])).status_code == 302
    response = client.get(reverse("web:order", args=[order.order_no]))
    assert response.status_code == 200
    return response.content.decode()


def staff(role: str = "admin"):
    user = make_user(f"staff_{role}", staff_role=role)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user, client


def refund_gateway_calls(fake, method: str = "alipay.trade.refund") -> int:
    return sum(1 for _verb, _path, params in fake.server.calls if params.get("method") == method)
