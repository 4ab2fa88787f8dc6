"""微信 商家转账 pays a withdrawal once: asked again it is the same bill; its result notification
(MCHTRANSFER.BILL.FINISHED, signed and encrypted by the fake exactly as WeChat does) is applied
once however often it comes; a failed or cancelled bill returns the money once; a forged, stale,
replayed or mismatched notification changes nothing. Books balanced after each scenario."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.ledger.models import JournalEntry
from kadun.merchants import withdrawals
from kadun.merchants.tests.funds_helpers import assert_books_clean
from kadun.payments.providers import wechatpay_payout
from kadun.payments.providers.base import PayoutRequest
from kadun.payments.tests.fakes import wechat as fake
from kadun.payments.tests.fakes.wechat import wechat_sign
from kadun.payments.tests.payout_helpers import FAIL, OK, OPENID, money, post_transfer, wechat_shop, withdraw  # noqa: F401
from kadun.payments.tests.wechat_helpers import gateway, now_ts  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
PAID = {"status": "succeeded", "available": 50_000, "in_flight": 0, "external": 49_700, "fees": 300}
RETURNED = {"status": "failed", "available": 100_000, "in_flight": 0, "external": 0, "fees": 0}


@pytest.fixture
def sent(gateway, wechat_shop):  # noqa: F811
    shop, account = wechat_shop
    w = withdraw(shop, account)
    assert (w.provider, w.status) == ("wechatpay", "sent")
    return w


def result(gateway, w, **kw):  # noqa: F811
    kw.setdefault("timestamp", now_ts())
    return post_transfer(*gateway.transfer_notification(w.withdrawal_no, **kw))


def summary(w) -> dict:
    m = money(w)
    m.pop("entries")
    return m


def test_the_transfer_asks_wechat_for_the_openid_under_our_appid(gateway, sent):  # noqa: F811
    bill = gateway.transfers[sent.withdrawal_no]
    assert (bill["openid"], bill["transfer_amount"], bill["state"]) == (OPENID, 49_700, "WAIT_USER_CONFIRM")
    assert sent.gateway_no == bill["transfer_bill_no"]
    assert summary(sent) == {**PAID, "status": "sent", "available": 50_000, "in_flight": 50_000, "external": 0, "fees": 0}


def test_a_payout_moves_money_once_under_retries(gateway, sent):  # noqa: F811
    request = withdrawals._payout_request(sent)
    for _ in range(3):  # asked again (a lost answer): the same bill, out_bill_no
        assert wechatpay_payout.provider.payout(request=request) == sent.gateway_no
    assert list(gateway.transfers) == [sent.withdrawal_no]
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    assert [result(gateway, sent) for _ in range(10)] == [OK] * 10  # WeChat retries with fresh nonces
    assert summary(sent) == PAID
    assert JournalEntry.objects.filter(kind="payout", ref_id=sent.pk).count() == 1
    assert_books_clean()


def test_ten_sequential_replays_of_the_same_bytes_pay_once(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    body, headers = gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())
    assert [post_transfer(body, headers) for _ in range(10)] == [OK] + [FAIL] * 9  # the nonce is taken
    assert summary(sent) == PAID
    assert JournalEntry.objects.filter(kind="payout", ref_id=sent.pk).count() == 1
    assert_books_clean()


def test_the_query_after_the_notification_changes_nothing(gateway, sent, settings):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    assert result(gateway, sent) == OK
    before = money(sent)
    assert wechatpay_payout.provider.query_payout(payout_no=sent.withdrawal_no) == ("succeeded", sent.gateway_no)
    assert withdrawals._payout_check(sent.pk) == "noop"  # the sweeper's check finds it final
    deadlines_sweep_all(now=clock.now() + dt.timedelta(minutes=settings.KADUN_PAYOUT_QUERY_MINUTES + 1))
    assert money(sent) == before
    assert_books_clean()


def test_the_sweeper_finishes_a_transfer_whose_notification_never_came(gateway, sent, settings):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    deadlines_sweep_all(now=clock.now() + dt.timedelta(minutes=settings.KADUN_PAYOUT_QUERY_MINUTES + 1))
    assert summary(sent) == PAID
    assert result(gateway, sent) == OK  # the late notification: told, nothing moves again
    assert summary(sent) == PAID and JournalEntry.objects.filter(kind="payout", ref_id=sent.pk).count() == 1
    assert_books_clean()


@pytest.mark.parametrize("state", ["FAIL", "CANCELLED"])
def test_a_failed_transfer_returns_the_money_once(gateway, sent, state):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, state, fail_reason="PAYEE_ACCOUNT_ABNORMAL" if state == "FAIL" else "")
    assert [result(gateway, sent) for _ in range(5)] == [OK] * 5
    assert summary(sent) == RETURNED
    sent.refresh_from_db()
    assert sent.note == ("PAYEE_ACCOUNT_ABNORMAL" if state == "FAIL" else "用户未确认收款，已撤销")
    assert JournalEntry.objects.filter(kind="payout_failed", ref_id=sent.pk).count() == 1
    assert_books_clean()


def test_a_bill_not_final_changes_nothing(gateway, sent):  # noqa: F811
    before = money(sent)
    assert result(gateway, sent, state="WAIT_USER_CONFIRM") == FAIL
    assert money(sent) == before


def test_a_forged_signature_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    body, headers = gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers["wechatpay-signature"] = wechat_sign(other, body, timestamp=int(headers["wechatpay-timestamp"]), nonce=headers["wechatpay-nonce"])
    assert post_transfer(body, headers) == FAIL
    assert money(sent) == before


def test_a_body_changed_after_signing_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "FAIL")
    before = money(sent)
    body, headers = gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())
    assert post_transfer(body.replace(b"encrypt-resource", b"encrypt-resourcE"), headers) == FAIL
    assert money(sent) == before


def test_an_unsigned_notification_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    body, _headers = gateway.transfer_notification(sent.withdrawal_no, timestamp=now_ts())
    assert post_transfer(body, {}) == FAIL
    assert money(sent) == before


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_stale_timestamp_changes_nothing(gateway, sent, skew):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, timestamp=now_ts() + skew) == FAIL
    assert money(sent) == before


def test_a_nonce_used_by_another_notification_is_refused(gateway, sent, wechat_shop):  # noqa: F811
    shop, account = wechat_shop
    second = withdraw(shop, account, amount=20_000, key="w2")
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    gateway.finish_transfer(second.withdrawal_no, "SUCCESS")
    assert result(gateway, sent, nonce="n" * 32) == OK
    before = money(second)
    assert result(gateway, second, nonce="n" * 32) == FAIL
    assert money(second) == before


@pytest.mark.parametrize("field,value", [("mchid", "1900009999"), ("appid", "wx0000000000000000")])
def test_another_merchant_or_app_changes_nothing(gateway, sent, field, value):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, **{field: value}) == FAIL
    assert money(sent) == before


@pytest.mark.parametrize("delta", [-1, 1])
def test_an_amount_one_fen_off_changes_nothing(gateway, sent, delta):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, transfer_amount=49_700 + delta) == FAIL
    assert money(sent) == before


def test_a_resource_encrypted_with_another_key_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, key="X" * 32) == FAIL
    assert money(sent) == before


def test_a_payment_event_at_the_payout_url_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, event_type="TRANSACTION.SUCCESS") == FAIL
    assert money(sent) == before


def test_an_unknown_bill_changes_nothing(gateway, sent):  # noqa: F811
    gateway.finish_transfer(sent.withdrawal_no, "SUCCESS")
    before = money(sent)
    assert result(gateway, sent, out_bill_no="W20261201000000FFFFFFFF") == FAIL
    assert money(sent) == before


def test_the_wechat_public_key_form_verifies_too(settings, wechat_shop):  # noqa: F811
    server = fake.FakeWechat(use_public_key=True)
    fake.configure(settings, base_url=server.url, use_public_key=True)
    settings.KADUN_PAYMENT_PROVIDERS = ["sandbox", "wallet", "wechatpay"]
    try:
        shop, account = wechat_shop
        w = withdraw(shop, account)
        server.finish_transfer(w.withdrawal_no, "SUCCESS")
        assert post_transfer(*server.transfer_notification(w.withdrawal_no, timestamp=now_ts())) == OK
        assert summary(w) == PAID
    finally:
        server.close()


def test_two_thousand_yuan_or_more_sends_the_payees_name_encrypted(gateway, wechat_shop):  # noqa: F811
    from kadun.ledger import accounts as codes
    from kadun.merchants.tests.funds_helpers import NAME, credit

    shop, account = wechat_shop
    credit(codes.merchant_available(shop.pk), 300_000)
    w = withdraw(shop, account, amount=300_000, key="big")  # ¥3,000.00, net ¥2,982.00
    assert gateway.transfers[w.withdrawal_no]["transfer_amount"] == 298_200
    assert w.status == "sent" and gateway.payee_names == {w.withdrawal_no: NAME}
    assert NAME.encode() not in b"".join(str(v).encode() for v in gateway.transfers[w.withdrawal_no].values())


def test_the_provider_refuses_other_account_kinds(gateway):  # noqa: F811
    from kadun.payments.providers.wechatpay import GatewayError

    request = PayoutRequest(payout_no="W1", amount=100, currency="CNY", account_kind="alipay", account_no="13800138000", holder_name="张三")
    with pytest.raises(GatewayError):
        wechatpay_payout.provider.payout(request=request)
    assert gateway.transfers == {}


def test_a_transfer_wechat_refuses_returns_the_money_once(gateway, wechat_shop):  # noqa: F811
    shop, account = wechat_shop
    gateway.foreign_openids.add(OPENID)
    w = withdraw(shop, account)
    assert summary(w) == RETURNED and gateway.transfers == {}
    w.refresh_from_db()
    assert w.note == "微信转账被拒绝：INVALID_REQUEST"
    assert withdrawals._payout_check(w.pk) == "noop"
    assert wechatpay_payout.provider.payout(request=withdrawals._payout_request(w)) == ""  # asked again: nothing more
    assert summary(w) == RETURNED and JournalEntry.objects.filter(kind="payout_failed", ref_id=w.pk).count() == 1
    assert_books_clean()


def test_a_system_error_is_retried_and_pays_once(gateway, wechat_shop):  # noqa: F811
    from kadun.notifications.models import OutboxMessage
    from kadun.notifications.services import outbox_deliver_all

    shop, account = wechat_shop
    gateway.system_errors = 1  # WeChat answers 500 SYSTEM_ERROR once: nothing definite happened
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="e1")
    outbox_deliver_all()
    w.refresh_from_db()
    message = OutboxMessage.objects.get(topic="payout_send")
    assert (w.status, message.attempts, message.sent_at) == ("approved", 1, None) and gateway.transfers == {}
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=clock.now())  # the retry is due
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "sent" and list(gateway.transfers) == [w.withdrawal_no]
    gateway.finish_transfer(w.withdrawal_no, "SUCCESS")
    assert result(gateway, w) == OK and summary(w) == PAID
    assert_books_clean()
