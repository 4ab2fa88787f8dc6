"""Real threads against PostgreSQL: a payout's result told many times at once — ten copies of one
WeChat 商家转账 notification, ten WeChat retries with fresh nonces, ten copies of one Alipay
transfer message — pays the withdrawal (or returns its money) exactly once; the same 商家转账 asked
at once is one bill. Books balanced after each scenario."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import all_at_once
from kadun.ledger.models import JournalEntry
from kadun.merchants import withdrawals
from kadun.merchants.tests.funds_helpers import alipay_account, assert_books_clean
from kadun.payments.providers import wechatpay_payout
from kadun.payments.tests.fakes_alipay import FakeAlipay
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.payout_helpers import FAIL, OK, money, post_transfer, wechat_shop, withdraw  # noqa: F401
from kadun.payments.tests.wechat_helpers import gateway, now_ts  # noqa: F401 (fixture)

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
PAID = {"status": "succeeded", "available": 50_000, "in_flight": 0, "external": 49_700, "fees": 300}
RETURNED = {"status": "failed", "available": 100_000, "in_flight": 0, "external": 0, "fees": 0}


def summary(w) -> dict:
    m = money(w)
    m.pop("entries")
    return m


def entries(w, kind: str) -> int:
    return JournalEntry.objects.filter(kind=kind, ref_id=w.pk).count()


@pytest.fixture
def sent(gateway, wechat_shop):  # noqa: F811
    shop, account = wechat_shop
    w = withdraw(shop, account)
    assert w.status == "sent"
    return w


def test_ten_concurrent_copies_of_one_transfer_notification_pay_once(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    body, headers = gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())
    answers = all_at_once(lambda _i: post_transfer(body, headers), range(10))
    assert sorted(answers, key=lambda a: a[0]) == [OK] + [FAIL] * 9  # one claims the nonce; the others lose it
    assert summary(sent) == PAID and entries(sent, "payout") == 1
    assert_books_clean()


def test_ten_concurrent_retries_with_fresh_nonces_pay_once(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    copies = [gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts()) for _ in range(10)]
    answers = all_at_once(lambda c: post_transfer(*c), copies)
    assert answers == [OK] * 10
    assert summary(sent) == PAID and entries(sent, "payout") == 1
    assert wechatpay_payout.provider.query_payout(payout_no=sent.withdrawal_no) == ("succeeded", sent.gateway_no)
    assert withdrawals._payout_check(sent.pk) == "noop"
    assert summary(sent) == PAID
    assert_books_clean()


def test_ten_concurrent_failures_return_the_money_once(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "FAIL", fail_reason="PAYEE_ACCOUNT_ABNORMAL")
    copies = [gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts()) for _ in range(10)]
    assert all_at_once(lambda c: post_transfer(*c), copies) == [OK] * 10
    assert summary(sent) == RETURNED and entries(sent, "payout_failed") == 1
    assert_books_clean()


def test_the_same_transfer_asked_at_once_is_one_bill(gateway, sent):  # noqa: F811
    gateway.transfers.clear()  # as if the first request never reached WeChat: every retry may create one
    request = withdrawals._payout_request(sent)
    bills = all_at_once(lambda _i: wechatpay_payout.provider.payout(request=request), range(6))
    assert len(set(bills)) == 1 and list(gateway.transfers) == [sent.withdrawal_no]
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    assert post_transfer(*gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())) == OK
    assert summary(sent) == PAID and entries(sent, "payout") == 1
    assert_books_clean()


@pytest.fixture
def alipay_sent(alipay, wechat_shop, settings):  # noqa: F811
    settings.KADUN_PAYOUT_PROVIDERS = {**settings.KADUN_PAYOUT_PROVIDERS, "alipay": "alipay"}
    alipay.transfer_status = "DEALING"  # accepted; the result comes by the signed message
    shop, _wechat = wechat_shop
    w = withdraw(shop, alipay_account(shop))
    assert (w.provider, w.status) == ("alipay", "sent")
    return w


def post_alipay(params: dict) -> int:
    return Client().post("/pay/payout-notify/alipay/", data=FakeAlipay.body(params),
                         content_type="application/x-www-form-urlencoded").status_code


@pytest.mark.parametrize("status,expected,kind", [("SUCCESS", PAID, "payout"), ("FAIL", RETURNED, "payout_failed")])
def test_ten_concurrent_copies_of_one_alipay_transfer_message_apply_once(alipay, alipay_sent, status, expected, kind):  # noqa: F811
    params = alipay.transfer_message(alipay_sent.withdrawal_no, status)
    assert all_at_once(lambda _i: post_alipay(params), range(10)) == [200] * 10  # Alipay repeats until answered
    assert summary(alipay_sent) == expected and entries(alipay_sent, kind) == 1
    from kadun.payments.providers.alipay_payout import AlipayPayoutProvider

    assert AlipayPayoutProvider().query_payout(payout_no=alipay_sent.withdrawal_no)[0] == ("succeeded" if status == "SUCCESS" else "failed")
    assert withdrawals._payout_check(alipay_sent.pk) == "noop" and summary(alipay_sent) == expected
    assert_books_clean()


@pytest.mark.parametrize("succeeded,expected,kind", [(True, "succeeded", "payout"), (False, "failed", "payout_failed")])
def test_a_manual_payout_confirmed_five_times_at_once_is_recorded_once(monkeypatch, succeeded, expected, kind):
    from conftest import make_shop, make_user
    from kadun.ledger import accounts as codes
    from kadun.merchants.payout_accounts import payout_account_add
    from kadun.merchants.tests.funds_helpers import NAME, age, credit, verified

    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    account = payout_account_add(shop_id=shop.pk, kind="bank", number="4111111111111111", holder_name=NAME)
    w = withdraw(shop, account)
    assert (w.provider, w.status) == ("manual", "sent")
    staff = make_user(staff_role="admin")
    outcomes = all_at_once(lambda _i: withdrawals.withdrawal_manual_confirm(
        withdrawal_id=w.pk, staff=staff, reference="BANK-20261201-009", succeeded=succeeded, reason="退票"), range(5))
    assert sorted(outcomes) == sorted([expected] + ["duplicate"] * 4)
    after = summary(w)
    assert after["status"] == expected and after["in_flight"] == 0
    assert after["available"] == (50_000 if succeeded else 100_000) and entries(w, kind) == 1
    assert_books_clean()
