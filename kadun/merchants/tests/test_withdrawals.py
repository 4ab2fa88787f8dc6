"""提现: payout accounts (formats, sealed, masked, the verified name), withdrawals from the
available balance with their review holds, the sandbox payout's signed asynchronous result
(success, failure, replayed or forged: nothing changes), manual payouts, the sweeper's query.
Books clean after each scenario."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.merchants import gate, withdrawals
from kadun.merchants.errors_funds import BadPayoutAccount, IdentityMismatch, NoPayoutAccount, WithdrawalRefused
from kadun.merchants.models_funds import PayoutAccount, Withdrawal
from kadun.merchants.payout_accounts import luhn_ok, payout_account_add, trc20_ok
from kadun.merchants.tests.funds_helpers import NAME, age, alipay_account, assert_books_clean, available, credit, in_flight, verified
from kadun.notifications.services import outbox_deliver_all
from kadun.payments.models import SandboxPayout
from kadun.payments.providers import sandbox, sandbox_payout

pytestmark = pytest.mark.django_db
TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TX_HASH = "9f1c0e3b5a7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6"


@pytest.fixture
def ready_shop(monkeypatch):
    """An established shop with ¥1,000.00 available and a verified Alipay account."""
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    return shop, alipay_account(shop)


def test_formats_are_checked():
    assert trc20_ok(TRC20)
    assert not trc20_ok(TRC20[:-1] + ("u" if TRC20[-1] != "u" else "v"))  # one character off: the checksum fails
    assert not trc20_ok("A" + TRC20[1:])
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_accounts_are_sealed_and_masked(monkeypatch, shop):
    verified(monkeypatch)
    bank = payout_account_add(shop_id=shop.pk, kind="bank", number="4111 1111 1111 1111", holder_name=NAME)
    usdt = payout_account_add(shop_id=shop.pk, kind="usdt_trc20", number=TRC20, holder_name=NAME)
    assert bank.masked == "411****1111" and usdt.masked == "TR7N…Lj6t" and bank.holder_masked == "*三"
    row = PayoutAccount.objects.get(pk=bank.pk)
    assert "4111111111111111" not in row.sealed and NAME not in row.sealed
    with pytest.raises(BadPayoutAccount):
        payout_account_add(shop_id=shop.pk, kind="bank", number="4111111111111112", holder_name=NAME)


def test_holder_must_be_the_verified_name(monkeypatch, shop):
    with pytest.raises(IdentityMismatch) as unverified:  # placeholder identity: not verified → refused
        payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name=NAME)
    assert unverified.value.code == "identity_not_verified"
    verified(monkeypatch)
    with pytest.raises(IdentityMismatch):
        payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name="李四")


def test_no_verified_account_refuses_through_the_gate(shop):
    assert isinstance(gate.withdrawal_refusal(shop.pk), NoPayoutAccount)


def test_sandbox_payout_succeeds_through_the_signed_notification(ready_shop):
    shop, account = ready_shop
    w, created = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k1")
    assert created and w.status == "approved" and w.fee == 300
    assert (available(shop), in_flight(shop)) == (50_000, 50_000)
    outbox_deliver_all()  # the payout request, then the gateway's asynchronous result
    w.refresh_from_db()
    assert w.status == "succeeded" and w.gateway_no.startswith("SBP")
    assert (available(shop), in_flight(shop)) == (50_000, 0)
    assert balance_of(codes.external("sandbox")) == 49_700
    assert SandboxPayout.objects.get(payout_no=w.withdrawal_no).amount == 49_700
    assert_books_clean()


def test_the_same_idempotency_key_withdraws_once(ready_shop):
    shop, account = ready_shop
    first, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=20_000, key="same")
    again, created = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=20_000, key="same")
    assert again.pk == first.pk and not created and available(shop) == 80_000


def test_a_failed_payout_returns_the_money(ready_shop, monkeypatch):
    shop, account = ready_shop
    monkeypatch.setattr(sandbox_payout, "fail_when", lambda request: True)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k1")
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "failed" and w.note
    assert (available(shop), in_flight(shop)) == (100_000, 0)
    assert_books_clean()


def _result(w, **overrides):
    payout = SandboxPayout.objects.get(payout_no=w.withdrawal_no)
    params = sandbox_payout.payout_params(payout)
    params.update(overrides)
    if "sign" not in overrides and overrides:
        params["sign"] = sandbox.sign(params)
    return Client().post("/pay/payout-notify/sandbox/", params)


def _sent_not_notified(shop, account, key="k1"):
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key=key)
    from kadun.notifications.models import OutboxMessage

    outbox_deliver_all(max_rounds=1)  # the payout request only; the result waits in the outbox
    OutboxMessage.objects.filter(topic="sandbox_payout_notify").delete()  # lost on the way
    w.refresh_from_db()
    assert w.status == "sent"
    return w


def test_a_replayed_result_changes_nothing(ready_shop):
    shop, account = ready_shop
    w = _sent_not_notified(shop, account)
    assert _result(w).content == b"success"
    assert _result(w).content == b"success"  # replay: answered, nothing moves again
    w.refresh_from_db()
    assert w.status == "succeeded" and balance_of(codes.external("sandbox")) == w.net
    assert w.events.filter(kind="paid").count() == 1
    assert_books_clean()


@pytest.mark.parametrize("forged", [{"sign": "0" * 64}, {"amount": "99999"}, {"status": "FAIL", "sign": "bad"}])
def test_a_forged_result_changes_nothing(ready_shop, forged):
    shop, account = ready_shop
    w = _sent_not_notified(shop, account)
    response = _result(w, **forged)
    assert response.status_code == 400
    w.refresh_from_db()
    assert w.status == "sent" and in_flight(shop) == 50_000


def test_a_stale_result_is_refused(ready_shop):
    shop, account = ready_shop
    w = _sent_not_notified(shop, account)
    params = sandbox_payout.payout_params(SandboxPayout.objects.get(payout_no=w.withdrawal_no))
    clock.advance(dt.timedelta(hours=1))
    assert Client().post("/pay/payout-notify/sandbox/", params).status_code == 400
    w.refresh_from_db()
    assert w.status == "sent"


def test_the_sweeper_asks_for_a_result_that_never_came(ready_shop):
    from kadun.deadlines.services import deadlines_sweep_all

    shop, account = ready_shop
    w = _sent_not_notified(shop, account)
    clock.advance(dt.timedelta(minutes=31))
    deadlines_sweep_all()
    w.refresh_from_db()
    assert w.status == "succeeded" and in_flight(shop) == 0
    assert_books_clean()


def test_risk_holds_send_it_to_review_and_staff_decide(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()  # a new shop: its first withdrawal is reviewed
    credit(codes.merchant_available(shop.pk), 100_000)
    account = alipay_account(shop)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k1")
    assert w.status == "review" and w.review_reasons == ["first_withdrawal"]
    staff = make_user()
    withdrawals.withdrawal_reject(withdrawal_id=w.pk, staff=staff, reason="请补充材料")
    w.refresh_from_db()
    assert w.status == "rejected" and w.note == "请补充材料" and available(shop) == 100_000
    w2, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k2")
    withdrawals.withdrawal_approve(withdrawal_id=w2.pk, staff=staff)
    outbox_deliver_all()
    w2.refresh_from_db()
    assert w2.status == "succeeded"
    assert_books_clean()


def test_over_the_daily_limit_is_reviewed(ready_shop, settings):
    shop, account = ready_shop
    settings.KADUN_WITHDRAWAL_AUTO_DAILY_LIMIT = 60_000
    first, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=40_000, key="a")
    second, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=30_000, key="b")
    assert (first.status, second.status, second.review_reasons) == ("approved", "review", ["daily_limit"])


def test_a_frozen_shop_cannot_withdraw(ready_shop, monkeypatch):
    from kadun.core.errors import DomainError
    from kadun.risk import selectors_freeze

    shop, account = ready_shop
    monkeypatch.setattr(selectors_freeze, "shop_frozen", lambda shop_id: True)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k1")
    assert w.status == "review" and "frozen" in w.review_reasons
    with pytest.raises(WithdrawalRefused):
        withdrawals.withdrawal_approve(withdrawal_id=w.pk, staff=make_user())
    outbox_deliver_all()
    assert not SandboxPayout.objects.exists() and balance_of(codes.external("sandbox")) == 0
    # and with the freeze check runaway registers in the gate, the request itself is refused
    refusal = DomainError("shop_frozen", "店铺已冻结，暂停提现。")
    monkeypatch.setattr(gate, "WITHDRAW_CHECKS", [lambda shop_id: refusal, *gate.WITHDRAW_CHECKS])
    with pytest.raises(DomainError) as refused:
        withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=10_000, key="k2")
    assert refused.value.code == "shop_frozen" and Withdrawal.objects.count() == 1


def test_more_than_available_is_refused_and_nothing_is_created(ready_shop):
    from kadun.ledger.errors import InsufficientFunds

    shop, account = ready_shop
    with pytest.raises(InsufficientFunds):
        withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=100_001, key="k1")
    assert not Withdrawal.objects.exists() and available(shop) == 100_000


def test_manual_payout_confirmed_by_staff_with_the_reference(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    account = payout_account_add(shop_id=shop.pk, kind="usdt_trc20", number=TRC20, holder_name=NAME)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="k1")
    outbox_deliver_all()
    w.refresh_from_db()
    assert (w.provider, w.status) == ("manual", "sent")
    withdrawals.withdrawal_manual_confirm(withdrawal_id=w.pk, staff=make_user(), reference=TX_HASH)
    w.refresh_from_db()
    assert w.status == "succeeded" and w.reference == TX_HASH
    assert balance_of(codes.external("manual")) == 49_700 and in_flight(shop) == 0
    assert_books_clean()


def test_a_payout_the_gateway_never_received_is_sent_again_once(ready_shop):
    from kadun.deadlines.services import deadlines_sweep_all

    shop, account = ready_shop
    w = _sent_not_notified(shop, account)
    SandboxPayout.objects.all().delete()  # the request was lost before the gateway booked it
    clock.advance(dt.timedelta(minutes=31))
    deadlines_sweep_all()  # asks: unknown → sends it again
    outbox_deliver_all()
    w.refresh_from_db()
    assert w.status == "succeeded" and SandboxPayout.objects.count() == 1
    assert balance_of(codes.external("sandbox")) == w.net
    assert_books_clean()
