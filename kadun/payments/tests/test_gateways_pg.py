"""Real threads against PostgreSQL: ten copies of one Alipay / 易支付 notification at once
deliver one key and move escrow once; the same refund sent at once refunds once at the gateway;
the same transfer asked at once pays once."""
from __future__ import annotations

import pytest
from django.db import transaction

from conftest import all_at_once, buy, make_product, make_shop, together
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants import withdrawals
from kadun.merchants.tests.funds_helpers import age, alipay_account, assert_books_clean, available, credit, in_flight, verified
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.errors import RefundTooLarge
from kadun.orders.services import order_refund
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund
from kadun.payments.providers import alipay as alipay_provider
from kadun.payments.providers import epay as epay_provider
from kadun.payments.providers.alipay_payout import AlipayPayoutProvider
from kadun.payments.providers.base import PayoutRequest
from kadun.payments.tests.gateway_fixtures import alipay, epay, post_notify  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def opened(fake, provider):
    product = make_product(keys=5, price=1010)
    order, _t, pay_url = buy(product, provider=provider)
    fake.open(pay_url)
    fake.pay(order.payment.out_trade_no)
    return order


@pytest.mark.parametrize("provider", ["alipay", "epay"])
def test_ten_concurrent_replays_deliver_one_key(request, provider):
    fake = request.getfixturevalue(provider)
    order = opened(fake, provider)
    params = fake.notification(order.payment.out_trade_no)
    answers = all_at_once(lambda _i: post_notify(provider, params), range(10))
    assert answers == [(200, "success")] * 10
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.keys.count() == 1
    assert balance_of(codes.escrow(order.pk)) == 1010
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1


@pytest.mark.parametrize("provider", ["alipay", "epay"])
def test_concurrent_duplicate_refunds_refund_once(request, provider):
    fake = request.getfixturevalue(provider)
    order = opened(fake, provider)
    assert post_notify(provider, fake.notification(order.payment.out_trade_no)) == (200, "success")

    def issue(_i):
        with transaction.atomic():
            return order_refund(order_id=order.pk, amount=1010, reason="重复退款", sources=(OrderStatus.DELIVERED,), key="same").pk

    outcomes = together(*[(lambda i=i: issue(i)) for i in range(5)])
    # One refund however often asked at once: the winner's; a loser gets it back or is refused
    # (the order's refunded amount is already at the cap), never a second refund.
    winners = {o for o in outcomes if isinstance(o, int)}
    assert len(winners) == 1 and all(isinstance(o, (int, RefundTooLarge)) for o in outcomes)
    r = Refund.objects.select_related("payment").get(order=order)
    impl = {"alipay": alipay_provider.provider, "epay": epay_provider.provider}[provider]
    all_at_once(lambda _i: impl.refund(refund=r), range(6))  # the gateway call sent six times at once
    outbox_deliver_all()
    assert len(fake.refunds) == 1
    assert JournalEntry.objects.filter(kind="refund", ref_id=order.pk).count() == 1
    assert balance_of(codes.escrow(order.pk)) == 0
    assert_books_clean()


def test_concurrent_transfers_pay_once(alipay, monkeypatch, settings):  # noqa: F811
    settings.KADUN_PAYOUT_PROVIDERS = {**settings.KADUN_PAYOUT_PROVIDERS, "alipay": "alipay"}
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    account = alipay_account(shop)
    alipay.transfer_status = "DEALING"  # accepted; the transfer itself is asked for again below
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="c1")
    outbox_deliver_all()
    alipay.transfer_status = "SUCCESS"
    alipay.transfers.clear()  # as if the first request never reached Alipay: every retry may pay
    w.refresh_from_db()
    request = PayoutRequest(payout_no=w.withdrawal_no, amount=w.net, currency="CNY", account_kind="alipay",
                            account_no="13800138000", holder_name="张三")
    numbers = all_at_once(lambda _i: AlipayPayoutProvider().payout(request=request), range(6))
    assert len(set(numbers)) == 1 and len(alipay.transfers) == 1
    w.refresh_from_db()
    assert w.status == "succeeded" and (available(shop), in_flight(shop)) == (50_000, 0)
    assert JournalEntry.objects.filter(kind="payout", ref_id=w.pk).count() == 1
    assert balance_of(codes.external("alipay")) == 49_700
    assert_books_clean()
