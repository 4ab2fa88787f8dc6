"""Merchant debt (先行赔付) is recovered at settlement before anything becomes available: one
entry per order, to the 分, on the single path and the sweeper's batch path."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, make_shop, pay
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.ledger.merchant_funds import debt_owed
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.release import order_confirm, order_settle, orders_settle

pytestmark = pytest.mark.django_db


def _owes(shop, amount: int) -> None:
    """The platform advanced ``amount`` for the shop (as refund_issue books 先行赔付)."""
    ledger.entry_post(kind="merchant_debt", idempotency_key=f"debt-test:{shop.pk}:{amount}",
                      lines=[(codes.merchant_debt(shop.pk), -amount), (codes.PLATFORM_ADVANCE, amount)])


def _confirmed(shop, price: int):
    order, _, _ = buy(make_product(shop, keys=1, price=price))
    pay(order)
    order_confirm(order_id=order.pk, actor="system")
    return order


def test_settlement_pays_the_debt_first_then_available():
    shop = make_shop()
    _owes(shop, 1_234)
    order = _confirmed(shop, 10_001)  # fee 2% = 200 (rounded), merchant share 9,801
    share = balance_of(codes.merchant_pending(shop.pk))
    order_settle(order_id=order.pk)
    assert debt_owed(shop.pk) == 0
    assert balance_of(codes.merchant_available(shop.pk)) == share - 1_234
    entry = JournalEntry.objects.get(idempotency_key=f"settle:order:{order.pk}")
    assert {p.account.code: p.amount for p in entry.postings.select_related("account")} == {
        codes.merchant_pending(shop.pk): -share, codes.merchant_debt(shop.pk): 1_234, codes.merchant_available(shop.pk): share - 1_234,
    }
    assert platform_check().ok


def test_a_debt_larger_than_the_income_takes_all_of_it_and_stays_owed():
    shop = make_shop()
    _owes(shop, 50_000)
    order = _confirmed(shop, 10_000)
    order_settle(order_id=order.pk)
    assert balance_of(codes.merchant_available(shop.pk)) == 0
    assert debt_owed(shop.pk) == 50_000 - 9_800
    assert platform_check().ok


def test_the_batch_recovers_across_orders_of_one_shop_to_the_fen():
    shop, other = make_shop(), make_shop()
    _owes(shop, 15_000)
    orders = [_confirmed(shop, 10_000), _confirmed(shop, 10_000), _confirmed(other, 10_000)]
    clock.advance(dt.timedelta(hours=73))
    outcomes = orders_settle(order_ids=[o.pk for o in orders])
    assert set(outcomes.values()) == {"done"}
    assert debt_owed(shop.pk) == 0
    assert balance_of(codes.merchant_available(shop.pk)) == 2 * 9_800 - 15_000
    assert balance_of(codes.merchant_available(other.pk)) == 9_800  # another shop's income pays nobody's debt
    assert platform_check().ok
