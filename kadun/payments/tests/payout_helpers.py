"""Fixtures for the payout (提现) gateway tests: a shop with ¥1,000.00 available and a verified
WeChat (openid) or Alipay account, routed to the real gateway's fake; what a result could change."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_shop
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.merchants import withdrawals
from kadun.merchants.models_funds import Withdrawal
from kadun.merchants.tests.funds_helpers import NAME, age, available, credit, in_flight, verified
from kadun.notifications.services import outbox_deliver_all

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
WECHAT_NOTIFY = "/pay/payout-notify/wechatpay/"
OK = (200, {"code": "SUCCESS", "message": "成功"})
FAIL = (400, {"code": "FAIL", "message": "失败"})


@pytest.fixture
def wechat_shop(monkeypatch, settings):
    """(shop, account): the account is a WeChat openid paid by 商家转账."""
    from kadun.merchants.payout_accounts import payout_account_add

    settings.KADUN_PAYOUT_PROVIDERS = {**settings.KADUN_PAYOUT_PROVIDERS, "wechat": "wechatpay"}
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    return shop, payout_account_add(shop_id=shop.pk, kind="wechat", number=OPENID, holder_name=NAME)


def withdraw(shop, account, amount: int = 50_000, key: str = "w1") -> Withdrawal:
    """Request, then send (the outbox): the withdrawal as the gateway accepted it."""
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=amount, key=key)
    outbox_deliver_all()
    w.refresh_from_db()
    return w


def post_transfer(body: bytes, headers: dict) -> tuple[int, dict]:
    """POST a 商家转账 result exactly as WeChat does: the JSON bytes and the Wechatpay-* headers."""
    response = Client().post(WECHAT_NOTIFY, data=body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def money(w: Withdrawal) -> dict:
    """Everything a payout result could change."""
    shop = w.shop
    return {
        "status": Withdrawal.objects.get(pk=w.pk).status, "available": available(shop), "in_flight": in_flight(shop),
        "external": balance_of(codes.external(w.provider)), "fees": balance_of(codes.PLATFORM_FEES),
        "entries": JournalEntry.objects.count(),
    }
