"""转账到支付宝账户 whose result comes later (DEALING, then alipay.fund.trans.order.changed): the
signed message replayed ten times pays once, the query after it agrees and the sweeper changes
nothing; a message for another amount changes nothing."""
from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client

from kadun.ledger.models import JournalEntry
from kadun.merchants import withdrawals
from kadun.merchants.tests.funds_helpers import alipay_account, assert_books_clean
from kadun.payments.providers.alipay_payout import AlipayPayoutProvider
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.payout_helpers import money, wechat_shop, withdraw  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
CTYPE = "application/x-www-form-urlencoded"


@pytest.fixture
def sent(alipay, wechat_shop, settings):  # noqa: F811
    settings.KADUN_PAYOUT_PROVIDERS = {**settings.KADUN_PAYOUT_PROVIDERS, "alipay": "alipay"}
    alipay.transfer_status = "DEALING"
    shop, _wechat = wechat_shop
    w = withdraw(shop, alipay_account(shop))
    assert (w.provider, w.status) == ("alipay", "sent")
    return w


def post(params: dict) -> int:
    return Client().post("/pay/payout-notify/alipay/", data=urllib.parse.urlencode(params).encode(), content_type=CTYPE).status_code


def test_ten_sequential_replays_then_the_query_pay_once(alipay, sent):  # noqa: F811
    params = alipay.transfer_message(sent.withdrawal_no, "SUCCESS")
    assert [post(params) for _ in range(10)] == [200] * 10
    after = money(sent)
    assert {k: after[k] for k in ("status", "available", "in_flight", "external", "fees")} == {
        "status": "succeeded", "available": 50_000, "in_flight": 0, "external": 49_700, "fees": 300}
    assert AlipayPayoutProvider().query_payout(payout_no=sent.withdrawal_no) == ("succeeded", sent.gateway_no)
    assert withdrawals._payout_check(sent.pk) == "noop"
    for _ in range(3):  # asked to pay again afterwards: out_biz_no, the same order
        assert AlipayPayoutProvider().payout(request=withdrawals._payout_request(sent)) == sent.gateway_no
    assert money(sent) == after and len(alipay.transfers) == 1
    assert JournalEntry.objects.filter(kind="payout", ref_id=sent.pk).count() == 1
    assert_books_clean()


def test_a_message_for_another_amount_changes_nothing(alipay, sent):  # noqa: F811
    before = money(sent)
    alipay.transfers[sent.withdrawal_no]["amount"] = "497.01"
    assert post(alipay.transfer_message(sent.withdrawal_no, "SUCCESS")) == 400
    assert money(sent) == before
