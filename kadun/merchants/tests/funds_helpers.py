"""Builders for the funds tests: money in a shop's accounts, a verified payout account."""
from __future__ import annotations

import itertools

from kadun.backoffice.selectors import platform_check
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.ledger.selectors import balance_of

_seq = itertools.count(1)
NAME = "张三"


def credit(code: str, amount: int) -> None:
    """Money from outside into an account (a test's opening balance)."""
    ledger.entry_post(kind="test", idempotency_key=f"test-credit:{next(_seq)}:{code}", lines=[(codes.external("test"), -amount), (code, amount)])


def available(shop) -> int:
    return balance_of(codes.merchant_available(shop.pk))


def deposit(shop) -> int:
    return balance_of(codes.merchant_deposit(shop.pk))


def in_flight(shop) -> int:
    return balance_of(codes.merchant_payout_in_flight(shop.pk))


def verified(monkeypatch, name: str | None = NAME) -> None:
    from kadun.merchants import payout_accounts

    monkeypatch.setattr(payout_accounts, "verified_name", lambda shop_id: name)


def alipay_account(shop, number: str = "13800138000"):
    from kadun.merchants.payout_accounts import payout_account_add

    return payout_account_add(shop_id=shop.pk, kind="alipay", number=number, holder_name=NAME)


def assert_books_clean() -> None:
    report = platform_check()
    assert report.ok, report.problems


def age(shop, days: int = 60) -> None:
    """Make the shop old enough that its first withdrawal is not reviewed for being new."""
    import datetime as dt

    from kadun.merchants.models import Shop

    Shop.objects.filter(pk=shop.pk).update(created_at=shop.created_at - dt.timedelta(days=days))
    shop.refresh_from_db()
