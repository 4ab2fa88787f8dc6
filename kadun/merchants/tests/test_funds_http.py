"""Funds through HTTP: the merchant's page (deposit formula, top-up, payout account, withdrawal),
the API (Idempotency-Key), the staff console's review and manual confirmation, the public rules."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.accounts.services import api_key_create
from kadun.ledger import accounts as codes
from kadun.merchants.models_funds import Withdrawal
from kadun.merchants.tests.funds_helpers import NAME, age, alipay_account, assert_books_clean, available, credit, deposit, verified
from kadun.notifications.services import outbox_deliver_all

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def merchant(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 200_000)
    return shop, _login(shop.owner)


def test_the_funds_page_shows_the_formula_with_this_shops_numbers(merchant):
    shop, client = merchant
    html = client.get("/merchant/funds/").content.decode()
    assert "¥750.00" in html  # 500 minimum × 1.5 (a new shop's mid band)
    assert "×1.5" in html and "¥2000.00" in html  # the public rules' numbers from settings


def test_top_up_from_available_and_withdraw_through_the_page(merchant):
    shop, client = merchant
    response = client.post("/merchant/funds/topup/", {"amount": "750", "source": "available", "key": "f1"})
    assert response.status_code == 302 and deposit(shop) == 75_000
    client.post("/merchant/funds/account/", {"kind": "alipay", "number": "13800138000", "holder_name": NAME})
    account = shop.payout_accounts.get()
    assert "138****8000" in client.get("/merchant/funds/").content.decode()
    client.post("/merchant/funds/withdraw/", {"account_id": account.pk, "amount": "500.00", "key": "w1"})
    client.post("/merchant/funds/withdraw/", {"account_id": account.pk, "amount": "500.00", "key": "w1"})  # resubmitted form
    outbox_deliver_all()
    assert Withdrawal.objects.get().status == "succeeded"
    assert available(shop) == 200_000 - 75_000 - 50_000
    assert "已到账" in client.get("/merchant/funds/").content.decode()
    assert_books_clean()


def test_top_up_by_payment_sends_the_merchant_to_the_sandbox(merchant):
    shop, client = merchant
    response = client.post("/merchant/funds/topup/", {"amount": "750", "source": "pay"})
    assert response.status_code == 302 and response["Location"].startswith("/pay/sandbox/D")
    pay_page = client.post(response["Location"], {"action": "pay"})
    assert pay_page.status_code == 302
    outbox_deliver_all()
    assert deposit(shop) == 75_000
    assert_books_clean()


def test_api_withdrawal_needs_and_honours_the_idempotency_key(merchant):
    shop, _ = merchant
    account = alipay_account(shop)
    _key, secret = api_key_create(user=shop.owner, name="t")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    body = {"account_id": account.pk, "amount": 30_000}
    missing = api.post("/api/merchant/funds/withdrawals", body, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    first = api.post("/api/merchant/funds/withdrawals", body, content_type="application/json", headers={"Idempotency-Key": "a1"})
    again = api.post("/api/merchant/funds/withdrawals", body, content_type="application/json", headers={"Idempotency-Key": "a1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["withdrawal_no"] == again.json()["withdrawal_no"] and first.json()["fee"] == 180
    funds = api.get("/api/merchant/funds").json()
    assert funds["available"] == 170_000 and funds["deposit"]["required"] == 75_000 and funds["deposit"]["winner"] == "minimum"
    small = api.post("/api/merchant/funds/withdrawals", {**body, "amount": 100}, content_type="application/json", headers={"Idempotency-Key": "a2"})
    assert small.status_code == 400 and small.json()["code"] == "withdrawal_too_small"


def test_staff_review_approve_and_reject_through_the_console(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()  # new: reviewed
    credit(codes.merchant_available(shop.pk), 200_000)
    account = alipay_account(shop)
    from kadun.merchants import withdrawals

    w1, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="a")
    w2, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="b")
    support = _login(make_user(staff_role="support"))
    assert w1.withdrawal_no in support.get("/merchant/staff/withdrawals/").content.decode()
    assert support.post(f"/merchant/staff/withdrawals/{w1.pk}/approve/").status_code == 404  # seeing is not deciding
    risk = _login(make_user(staff_role="risk"))
    risk.post(f"/merchant/staff/withdrawals/{w1.pk}/approve/")
    risk.post(f"/merchant/staff/withdrawals/{w2.pk}/reject/", {"reason": "资料不全"})
    outbox_deliver_all()
    w1.refresh_from_db()
    w2.refresh_from_db()
    assert (w1.status, w2.status, w2.note) == ("succeeded", "rejected", "资料不全")
    assert available(shop) == 150_000
    assert Client().get("/merchant/staff/withdrawals/").status_code == 404
    assert _login(shop.owner).get("/merchant/staff/deposits/").status_code == 404
    assert shop.name in risk.get("/merchant/staff/deposits/").content.decode()
    assert_books_clean()


def test_staff_confirm_a_manual_payout_with_its_reference(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 200_000)
    from kadun.merchants import withdrawals
    from kadun.merchants.payout_accounts import payout_account_add

    account = payout_account_add(shop_id=shop.pk, kind="bank", number="4111111111111111", holder_name=NAME)
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="m")
    outbox_deliver_all()
    admin = _login(make_user(staff_role="admin"))
    assert "411****1111" in admin.get("/merchant/staff/withdrawals/?status=sent").content.decode()
    admin.post(f"/merchant/staff/withdrawals/{w.pk}/paid/", {"reference": "", "back": "sent"})
    w.refresh_from_db()
    assert w.status == "sent"  # no reference: refused
    admin.post(f"/merchant/staff/withdrawals/{w.pk}/paid/", {"reference": "BANK-20261201-001", "back": "sent"})
    w.refresh_from_db()
    assert (w.status, w.reference) == ("succeeded", "BANK-20261201-001")
    assert_books_clean()


def test_public_deposit_rules_show_the_settings(settings):
    settings.KADUN_DEPOSIT_GRACE_HOURS = 48
    html = Client().get("/merchant/rules/deposit/").content.decode()
    assert "48 小时" in html and "¥500.00" in html and "¥1000.00" in html
