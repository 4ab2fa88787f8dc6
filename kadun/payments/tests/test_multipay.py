"""换一种支付方式 and 重复支付, through HTTP with the gateways' real signatures: a pending order's
buyer switches to another method and pays with it; the old payment succeeding later is refunded
to its source, once, however often its notification comes; nothing is credited twice."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_user
from kadun.evidence.models import Entry
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants.tests.funds_helpers import assert_books_clean
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund, SandboxTrade
from kadun.payments.states import PaymentStatus, RefundStatus
from kadun.payments.tests.gateway_fixtures import alipay, post_notify  # noqa: F401 (fixture)
from kadun.payments.tests.multipay_helpers import guest_client, notify_sandbox, payments, switch

pytestmark = pytest.mark.django_db


@pytest.fixture
def switched(alipay):  # noqa: F811
    """A guest's sandbox order switched to Alipay through the order page's form."""
    product = make_product(keys=3, price=1000)
    order, token, _ = buy(product, provider="sandbox")
    client = guest_client(token)
    response = switch(client, order, "alipay")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.order_no}/"
    return order, client


def _pay_alipay(fake, payment):
    fake.open(payment.pay_url)
    fake.pay(payment.out_trade_no)
    return post_notify("alipay", fake.notification(payment.out_trade_no))


def test_switch_creates_a_new_payment_and_the_old_one_stays(switched):
    order, _client = switched
    old, new = payments(order)
    assert (old.provider, old.status) == ("sandbox", PaymentStatus.PENDING)
    assert (new.provider, new.status, new.amount) == ("alipay", PaymentStatus.PENDING, 1000)
    assert new.pay_url.startswith("http") and order.events.filter(kind="payment_switched").count() == 1
    order.refresh_from_db()
    assert order.payment == new and order.status == OrderStatus.PENDING_PAYMENT


def test_the_buyer_pays_with_the_new_method(switched, alipay):  # noqa: F811
    order, client = switched
    _old, new = payments(order)
    assert _pay_alipay(alipay, new) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.payment.pk == new.pk
    assert balance_of(codes.escrow(order.pk)) == 1000
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="pay-switch"' not in page and "重复支付" not in page
    assert_books_clean()


def test_the_old_payment_succeeding_later_is_refunded_once(switched, alipay):  # noqa: F811
    order, client = switched
    old, new = payments(order)
    _pay_alipay(alipay, new)
    answers = [notify_sandbox(old) for _ in range(3)]  # the late success, and two replays
    assert answers == ["success"] * 3
    old.refresh_from_db()
    assert old.status == PaymentStatus.DUPLICATE
    refund = Refund.objects.get(order=order)
    assert (refund.payment_id, refund.amount, refund.reason, refund.destination) == (old.pk, 1000, "duplicate_payment", "source")
    assert JournalEntry.objects.filter(kind="duplicate_payment", ref_id=order.pk).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.refunded_amount == 0 and order.payment.pk == new.pk
    assert balance_of(codes.escrow(order.pk)) == 1000 and balance_of(codes.payment_suspense(old.pk)) == 0
    facts = Entry.objects.filter(kind="payment.notified", subject_id=order.pk)
    assert sorted(json.loads(f.body)["outcome"] for f in facts) == ["duplicate_refunded", "succeeded"]
    assert "重复支付 ¥10.00 退款处理中" in client.get(f"/orders/{order.order_no}/").content.decode()
    outbox_deliver_all()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert SandboxTrade.objects.get(out_trade_no=old.out_trade_no).refunded == 1000
    assert "重复支付 ¥10.00 已原路退回" in client.get(f"/orders/{order.order_no}/").content.decode()
    assert_books_clean()


def test_a_refund_of_the_order_goes_back_through_the_credited_payment(switched, alipay):  # noqa: F811
    from kadun.orders.services import order_refund

    order, _client = switched
    old, new = payments(order)
    _pay_alipay(alipay, new)
    notify_sandbox(old)
    refund = order_refund(order_id=order.pk, amount=400, reason="部分退款", sources=(OrderStatus.DELIVERED,), key="part")
    assert refund.payment_id == new.pk
    assert balance_of(codes.escrow(order.pk)) == 600
    assert_books_clean()


def test_switch_is_refused_after_the_order_is_paid(switched, alipay):  # noqa: F811
    order, client = switched
    _pay_alipay(alipay, payments(order)[1])
    response = switch(client, order, "sandbox", follow=True)
    assert "订单已不是待支付状态，不能更换支付方式。" in response.content.decode()
    assert len(payments(order)) == 2


def test_switch_is_refused_after_the_payment_deadline(alipay):  # noqa: F811
    import datetime as dt

    from kadun.core import clock

    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    clock.advance(dt.timedelta(minutes=31))
    response = switch(client, order, "alipay", follow=True)
    assert "订单已超过支付期限，不能更换支付方式。" in response.content.decode()
    assert len(payments(order)) == 1


def test_switch_of_another_buyers_order_is_not_found(alipay):  # noqa: F811
    from django.test import Client

    order, _token, _ = buy(make_product(keys=1), provider="sandbox")
    other = Client()
    _, other_token, _ = buy(make_product(keys=1), provider="sandbox")
    guest_client(other_token)
    assert switch(other, order, "alipay").status_code == 404
    assert len(payments(order)) == 1


def test_switch_to_a_disabled_provider_changes_nothing(settings):
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    response = switch(client, order, "alipay", follow=True)  # alipay is not enabled here
    assert "该支付方式当前不可用，请选择其他支付方式。" in response.content.decode()
    assert len(payments(order)) == 1 and not order.events.filter(kind="payment_switched").exists()


def test_a_guest_cannot_switch_to_the_wallet(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    response = switch(guest_client(token), order, "wallet", follow=True)
    assert "登录后才能使用平台余额支付。" in response.content.decode()
    assert len(payments(order)) == 1


def test_at_most_five_payments_per_order(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    for provider in ["alipay", "sandbox", "alipay", "sandbox"]:
        switch(client, order, provider)
    response = switch(client, order, "alipay", follow=True)
    assert "每个订单最多发起5次支付，请重新下单。" in response.content.decode()
    assert len(payments(order)) == 5


def test_staff_see_every_payment_of_a_switched_order(switched, alipay):  # noqa: F811
    order, _client = switched
    old, new = payments(order)
    _pay_alipay(alipay, new)
    notify_sandbox(old)  # the old method succeeds too: 重复支付
    staff = Client()
    staff.force_login(make_user(staff_role="support"), backend="django.contrib.auth.backends.ModelBackend")
    page = staff.get(reverse("backoffice:order", args=[order.order_no])).content.decode()
    table = page[page.index('id="all-payments"'):page.index("</table>", page.index('id="all-payments"'))]
    assert old.out_trade_no in table and new.out_trade_no in table
    assert "重复支付" in table and "已支付" in table
