"""Money back and money out through the real gateways' fakes: a refund to the original payment
moves money once however often it is sent (``out_request_no`` / ``out_refund_no`` = our refund
number); an Alipay transfer pays a withdrawal once, and a refused one returns the money to the
shop's available balance through the withdrawal handler."""
from __future__ import annotations

import urllib.parse

import pytest
from django.db import transaction
from django.test import Client

from conftest import buy, make_product, make_shop
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants import withdrawals
from kadun.merchants.tests.funds_helpers import age, alipay_account, assert_books_clean, available, credit, in_flight, verified
from kadun.notifications.models import OutboxMessage
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.services import order_refund
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund
from kadun.payments.providers import alipay_payout, epay as epay_provider
from kadun.payments.providers import alipay as alipay_provider
from kadun.payments.providers.base import PayoutRequest
from kadun.payments.states import RefundStatus
from kadun.payments.tests.gateway_fixtures import alipay, epay, post_notify  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def delivered(fake, provider, price=1010):
    product = make_product(keys=2, price=price)
    order, _t, pay_url = buy(product, provider=provider)
    fake.open(pay_url)
    fake.pay(order.payment.out_trade_no)
    assert post_notify(provider, fake.notification(order.payment.out_trade_no)) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    return order


def refund(order, key="r1", amount=1010):
    with transaction.atomic():
        return order_refund(order_id=order.pk, amount=amount, reason="测试退款", sources=(OrderStatus.DELIVERED,), key=key)


def test_alipay_refund_moves_money_once_under_retries(alipay):  # noqa: F811
    order = delivered(alipay, "alipay")
    first = refund(order)
    assert refund(order).pk == first.pk  # the same key again: the same refund
    outbox_deliver_all()
    r = Refund.objects.get(pk=first.pk)
    assert r.status == RefundStatus.SUCCEEDED and r.provider_refund_no.endswith(r.refund_no)
    for _ in range(3):  # the gateway call retried (a lost answer): out_request_no refunds once
        alipay_provider.provider.refund(refund=r)
    assert list(alipay.refunds) == [r.refund_no] and alipay.refunds[r.refund_no]["amount"] == "10.10"
    assert balance_of(codes.external("alipay")) == 0 and balance_of(codes.escrow(order.pk)) == 0
    assert JournalEntry.objects.filter(kind="refund", ref_id=order.pk).count() == 1
    assert_books_clean()


def test_epay_refund_moves_money_once_under_retries(epay):  # noqa: F811
    order = delivered(epay, "epay")
    r = refund(order, amount=500)
    outbox_deliver_all()
    r.refresh_from_db()
    assert r.status == RefundStatus.SUCCEEDED
    for _ in range(3):
        epay_provider.provider.refund(refund=r)
    assert list(epay.refunds) == [r.refund_no] and epay.refunds[r.refund_no]["money"] == "5.00"
    assert balance_of(codes.escrow(order.pk)) == 510
    assert_books_clean()


def test_a_panel_without_the_refund_api_raises_the_refund_to_staff(epay):  # noqa: F811
    epay.refund_api = False
    order = delivered(epay, "epay")
    r = refund(order)
    outbox_deliver_all()
    r.refresh_from_db()
    # "不支持的操作": no retry will change it, so it goes to staff at once (需人工处理), nothing refunded.
    assert (r.status, r.attempts, r.last_error) == (RefundStatus.ATTENTION, 1, "epay:no_refund_api") and not epay.refunds
    assert not OutboxMessage.objects.filter(topic="provider_refund", sent_at__isnull=True).exists()
    assert balance_of(codes.external("epay")) == 0  # the ledger moved once, at issue: paid in, paid back


def test_a_panel_configured_without_the_refund_api_is_never_called(epay, settings):  # noqa: F811
    settings.KADUN_EPAY_REFUND = False
    order = delivered(epay, "epay")
    calls = len(epay.server.calls)
    r = refund(order)
    outbox_deliver_all()
    r.refresh_from_db()
    assert (r.status, r.last_error) == (RefundStatus.ATTENTION, "epay:no_refund_api")
    assert len(epay.server.calls) == calls  # the panel was not asked


@pytest.fixture
def funded(monkeypatch, settings):
    settings.KADUN_PAYOUT_PROVIDERS = {**settings.KADUN_PAYOUT_PROVIDERS, "alipay": "alipay"}
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    return shop


def test_an_alipay_transfer_pays_a_withdrawal_once(alipay, funded):  # noqa: F811
    shop = funded
    account = alipay_account(shop)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="w1")
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "succeeded" and w.gateway_no
    request = PayoutRequest(payout_no=w.withdrawal_no, amount=w.net, currency="CNY", account_kind="alipay",
                            account_no="13800138000", holder_name="张三")
    for _ in range(3):  # asked again: paid once (out_biz_no)
        assert alipay_payout.AlipayPayoutProvider().payout(request=request) == w.gateway_no
    transfer = alipay.transfers[w.withdrawal_no]
    assert len(alipay.transfers) == 1 and transfer["amount"] == "497.00"
    assert transfer["payee"] == {"identity": "13800138000", "identity_type": "ALIPAY_LOGON_ID", "name": "张三"}
    assert (available(shop), in_flight(shop)) == (50_000, 0) and balance_of(codes.external("alipay")) == 49_700
    assert JournalEntry.objects.filter(kind="payout", ref_id=w.pk).count() == 1
    assert alipay_payout.AlipayPayoutProvider().query_payout(payout_no=w.withdrawal_no) == ("succeeded", w.gateway_no)
    assert_books_clean()


def test_a_refused_transfer_returns_the_money(alipay, funded):  # noqa: F811
    shop = funded
    account = alipay_account(shop, number="13912340000")  # the fake's payee that does not exist
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="w2")
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "failed" and "不存在" in w.note
    assert (available(shop), in_flight(shop)) == (100_000, 0) and balance_of(codes.external("alipay")) == 0
    assert not alipay.transfers
    assert_books_clean()


def test_a_dealing_transfer_is_finished_by_the_signed_message(alipay, funded):  # noqa: F811
    alipay.transfer_status = "DEALING"
    shop = funded
    account = alipay_account(shop)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=20_000, key="w3")
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "sent" and in_flight(shop) == 20_000
    forged = alipay.transfer_message(w.withdrawal_no, "SUCCESS", sign="AAAA")
    body = urllib.parse.urlencode(forged).encode()
    ctype = "application/x-www-form-urlencoded"
    assert Client().post("/pay/payout-notify/alipay/", data=body, content_type=ctype).status_code == 400
    w.refresh_from_db()
    assert w.status == "sent"
    message = urllib.parse.urlencode(alipay.transfer_message(w.withdrawal_no, "FAIL")).encode()
    for _ in range(3):  # Alipay repeats until answered: the money comes back once
        assert Client().post("/pay/payout-notify/alipay/", data=message, content_type=ctype).status_code == 200
    w.refresh_from_db()
    assert w.status == "failed" and (available(shop), in_flight(shop)) == (100_000, 0)
    assert JournalEntry.objects.filter(kind="payout_failed", ref_id=w.pk).count() == 1
    assert_books_clean()
