"""Concurrent withdrawals (PostgreSQL, real threads): available never goes below zero, a key
never withdraws twice, and a payout's result applied at once from two places pays once."""
from __future__ import annotations

import pytest

from conftest import make_shop, together
from kadun.ledger import accounts as codes
from kadun.ledger.errors import InsufficientFunds
from kadun.merchants import withdrawals
from kadun.merchants.models_funds import Withdrawal
from kadun.merchants.tests.funds_helpers import age, alipay_account, assert_books_clean, available, credit, in_flight, verified

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready(monkeypatch):
    verified(monkeypatch)
    shop = make_shop()
    age(shop)
    credit(codes.merchant_available(shop.pk), 100_000)
    return shop, alipay_account(shop)


def test_concurrent_withdrawals_never_take_available_below_zero(ready):
    shop, account = ready
    results = together(*[
        (lambda k=k: withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=30_000, key=f"k{k}")) for k in range(6)
    ])
    made = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(made), len(refused)) == (3, 3), results
    assert available(shop) == 10_000 and in_flight(shop) == 90_000
    assert Withdrawal.objects.count() == 3
    assert_books_clean()


def test_the_same_key_at_once_withdraws_once(ready):
    shop, account = ready
    results = together(*[
        (lambda: withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=30_000, key="same")) for _ in range(4)
    ])
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0].pk for r in results}) == 1 and sum(r[1] for r in results) == 1
    assert available(shop) == 70_000
    assert_books_clean()


def test_a_result_applied_twice_at_once_pays_once(ready):
    from kadun.ledger.selectors import balance_of

    shop, account = ready
    w, _ = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=account.pk, amount=30_000, key="k")
    Withdrawal.objects.filter(pk=w.pk).update(status="sent")
    outcomes = together(*[
        (lambda: withdrawals.withdrawal_payout_result(payout_no=w.withdrawal_no, succeeded=True, gateway_no="G1", amount=w.net))
        for _ in range(4)
    ])
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "succeeded"], outcomes
    assert balance_of(codes.external("sandbox")) == w.net and in_flight(shop) == 0
    assert_books_clean()
