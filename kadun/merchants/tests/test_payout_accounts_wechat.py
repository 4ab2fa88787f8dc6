"""A WeChat (openid) payout account: the openid's format, masked and sealed, the holder must be
the shop's verified name like every other kind, and its withdrawals go to the provider the
settings name for ``wechat`` — the openid is what the gateway is asked to pay."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_shop
from kadun.ledger import accounts as codes
from kadun.merchants import withdrawals
from kadun.merchants.errors_funds import BadPayoutAccount, IdentityMismatch
from kadun.merchants.models_funds import PayoutAccount
from kadun.merchants.payout_accounts import payout_account_add
from kadun.merchants.tests.funds_helpers import NAME, age, credit, verified
from kadun.notifications.services import outbox_deliver_all
from kadun.payments.models import SandboxPayout

pytestmark = pytest.mark.django_db
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def shop():
    return make_shop()


@pytest.mark.parametrize("number", ["", "o" * 15, "oUpF8uMuAJO M2pxb1Q9zNjWeS6o", "oUpF8uMuAJO/M2pxb1Q9zNjWeS6o", "o" * 65])
def test_an_openid_must_look_like_one(monkeypatch, shop, number):
    verified(monkeypatch)
    with pytest.raises(BadPayoutAccount) as refused:
        payout_account_add(shop_id=shop.pk, kind="wechat", number=number, holder_name=NAME)
    assert refused.value.code == "bad_wechat_openid"
    assert not PayoutAccount.objects.exists()


def test_a_wechat_account_is_sealed_and_masked(monkeypatch, shop):
    verified(monkeypatch)
    account = payout_account_add(shop_id=shop.pk, kind="wechat", number=f"  {OPENID} ", holder_name=NAME)
    assert (account.masked, account.holder_masked, account.get_kind_display()) == ("oUpF…eS6o", "*三", "微信零钱")
    assert OPENID not in PayoutAccount.objects.get(pk=account.pk).sealed


def test_the_holder_must_be_the_verified_name(monkeypatch, shop):
    with pytest.raises(IdentityMismatch) as unverified:
        payout_account_add(shop_id=shop.pk, kind="wechat", number=OPENID, holder_name=NAME)
    assert unverified.value.code == "identity_not_verified"
    verified(monkeypatch)
    with pytest.raises(IdentityMismatch):
        payout_account_add(shop_id=shop.pk, kind="wechat", number=OPENID, holder_name="李四")
    assert not PayoutAccount.objects.exists()


def test_added_through_the_funds_page_and_withdrawn_with_the_openid(monkeypatch, shop):
    verified(monkeypatch)
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    client = Client()
    client.force_login(shop.owner, backend="django.contrib.auth.backends.ModelBackend")
    assert "微信零钱" in client.get("/merchant/funds/").content.decode()
    client.post("/merchant/funds/account/", {"kind": "wechat", "number": "not an openid", "holder_name": NAME})
    assert not PayoutAccount.objects.exists()
    client.post("/merchant/funds/account/", {"kind": "wechat", "number": OPENID, "holder_name": NAME})
    account = PayoutAccount.objects.get(shop=shop)
    assert account.kind == "wechat"
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=50_000, key="wx")
    assert w.provider == "sandbox"  # the default settings: the sandbox plays 商家转账 (wechatpay where signed)
    assert withdrawals._payout_request(w).account_no == OPENID
    outbox_deliver_all()
    payout = SandboxPayout.objects.get(payout_no=w.withdrawal_no)
    assert (payout.account_kind, payout.account_tail, payout.amount) == ("wechat", OPENID[-4:], w.net)
