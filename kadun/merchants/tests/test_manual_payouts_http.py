"""Manual payouts (bank card, USDT-TRC20) end to end through the staff console: the money is held
in flight until risk/admin staff confirm with the transfer's reference (required; for USDT the
transaction hash, 64 hex digits); confirming twice records it once; a different second
confirmation is refused; a failure returns the money to the shop's available balance once.
Every step is an HTTP POST of the console's own forms; balances to the 分, books balanced."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants import withdrawals
from kadun.merchants.models_funds import Withdrawal, WithdrawalEvent
from kadun.merchants.payout_accounts import payout_account_add
from kadun.merchants.tests.funds_helpers import NAME, age, assert_books_clean, available, credit, in_flight, verified
from kadun.notifications.services import outbox_deliver_all

pytestmark = pytest.mark.django_db
TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TX_HASH = "9f1c0e3b5a7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6"
BANK = "4111111111111111"


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def manual(monkeypatch, kind: str, number: str) -> Withdrawal:
    """A ¥500.00 withdrawal (fee ¥3.00) waiting for staff to pay it by hand."""
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    account = payout_account_add(shop_id=shop.pk, kind=kind, number=number, holder_name=NAME)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="m1")
    outbox_deliver_all()
    w.refresh_from_db()
    assert (w.provider, w.status) == ("manual", "sent")
    return w


def act(client: Client, w: Withdrawal, action: str, **form) -> str:
    """POST a console form, follow the redirect; the page's text (with its message)."""
    response = client.post(f"/merchant/staff/withdrawals/{w.pk}/{action}/", {"back": "sent", **form}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def state(w: Withdrawal) -> tuple:
    w = Withdrawal.objects.get(pk=w.pk)
    return (w.status, w.reference, available(w.shop), in_flight(w.shop), balance_of(codes.external("manual")),
            JournalEntry.objects.filter(ref_type="withdrawal", ref_id=w.pk).count())


HELD = ("sent", "", 50_000, 50_000, 0)
PAID = ("succeeded",)


def test_the_console_shows_the_manual_payout_with_its_form(monkeypatch):
    w = manual(monkeypatch, "usdt_trc20", TRC20)
    page = _login(make_user(staff_role="admin")).get("/merchant/staff/withdrawals/?status=sent").content.decode()
    assert w.withdrawal_no in page and "TR7N…Lj6t" in page and TRC20 not in page
    assert f"/merchant/staff/withdrawals/{w.pk}/paid/" in page and "TxID" in page


def test_a_bank_payout_needs_a_reference_and_is_recorded_once(monkeypatch):
    w = manual(monkeypatch, "bank", BANK)
    admin = _login(make_user(staff_role="admin"))
    assert "请填写转账流水号" in act(admin, w, "paid", reference="  ")
    assert state(w)[:5] == HELD
    act(admin, w, "paid", reference="BANK-20261201-001")
    assert state(w) == ("succeeded", "BANK-20261201-001", 50_000, 0, 49_700, 2)
    assert "未重复记账" in act(admin, w, "paid", reference="BANK-20261201-001")  # a double click: once
    assert "状态已变化" in act(admin, w, "paid", reference="BANK-20261201-002")  # another one: refused
    assert "状态已变化" in act(admin, w, "failed", reason="搞错了")
    assert state(w) == ("succeeded", "BANK-20261201-001", 50_000, 0, 49_700, 2)
    assert JournalEntry.objects.filter(kind="payout", ref_id=w.pk).count() == 1
    assert WithdrawalEvent.objects.filter(withdrawal=w, kind="paid").count() == 1
    assert balance_of(codes.PLATFORM_FEES) == 300
    assert_books_clean()


@pytest.mark.parametrize("reference", ["0xabc123", "BANK-20261201-001", TX_HASH[:-1], TX_HASH + "0", TX_HASH[:-1] + "g"])
def test_a_usdt_payout_needs_a_trc20_transaction_hash(monkeypatch, reference):
    w = manual(monkeypatch, "usdt_trc20", TRC20)
    admin = _login(make_user(staff_role="risk"))
    assert "交易哈希（TxID，64 位十六进制）" in act(admin, w, "paid", reference=reference)
    assert state(w)[:5] == HELD
    assert_books_clean()


def test_a_usdt_hash_is_stored_lower_case_without_0x(monkeypatch):
    w = manual(monkeypatch, "usdt_trc20", TRC20)
    admin = _login(make_user(staff_role="risk"))
    act(admin, w, "paid", reference="0x" + TX_HASH.upper())
    assert state(w) == ("succeeded", TX_HASH, 50_000, 0, 49_700, 2)
    assert "未重复记账" in act(admin, w, "paid", reference=TX_HASH)
    assert state(w) == ("succeeded", TX_HASH, 50_000, 0, 49_700, 2)
    assert_books_clean()


@pytest.mark.parametrize("kind,number", [("bank", BANK), ("usdt_trc20", TRC20)])
def test_a_failed_manual_payout_returns_the_money_once(monkeypatch, kind, number):
    w = manual(monkeypatch, kind, number)
    admin = _login(make_user(staff_role="admin"))
    act(admin, w, "failed", reason="收款行退票")
    assert state(w) == ("failed", "", 100_000, 0, 0, 2)
    assert Withdrawal.objects.get(pk=w.pk).note == "收款行退票"
    assert "未重复记账" in act(admin, w, "failed", reason="收款行退票")
    assert "状态已变化" in act(admin, w, "paid", reference=TX_HASH)  # a failed payout cannot be paid afterwards
    assert state(w) == ("failed", "", 100_000, 0, 0, 2)
    assert JournalEntry.objects.filter(kind="payout_failed", ref_id=w.pk).count() == 1
    assert_books_clean()


def test_staff_outside_risk_and_admin_cannot_confirm(monkeypatch):
    w = manual(monkeypatch, "bank", BANK)
    support = _login(make_user(staff_role="support"))
    assert support.post(f"/merchant/staff/withdrawals/{w.pk}/paid/", {"reference": "BANK-1"}).status_code == 404
    assert _login(w.shop.owner).post(f"/merchant/staff/withdrawals/{w.pk}/paid/", {"reference": "BANK-1"}).status_code == 404
    assert state(w)[:5] == HELD


def test_a_gateway_payout_cannot_be_confirmed_by_hand(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    account = payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name=NAME)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="g1")
    assert w.provider == "sandbox" and w.status == "approved"
    assert "不能人工确认" in act(_login(make_user(staff_role="admin")), w, "paid", reference="BANK-1")
    assert Withdrawal.objects.get(pk=w.pk).status == "approved" and in_flight(shop) == 50_000
