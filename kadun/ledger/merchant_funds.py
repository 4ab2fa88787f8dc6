"""Ledger reads and locks for a merchant's funds beyond orders: what a shop owes the platform
(先行赔付 booked as debt), and the lock that makes recovering it safe under concurrency.

Debt accounts are not floored (their balance is the sum of their postings, negative = owed), so
there is no balance row to guard with a conditional update. Recovering debt therefore locks the
debt account rows first (in id order, after the orders' locks): two settlements of one shop wait
for each other, and the second reads what the first left owing — never recovering a debt twice.
"""
from __future__ import annotations

from django.db.models import Sum

from kadun.ledger import accounts as codes
from kadun.ledger.models import Account, Posting


def debt_owed(shop_id: int) -> int:
    """What the shop owes the platform, in 分 (≥ 0)."""
    total = Posting.objects.filter(account__code=codes.merchant_debt(shop_id)).aggregate(s=Sum("amount"))["s"] or 0
    return max(-total, 0)


def debts_lock(*, shop_ids) -> dict[int, int]:
    """Lock the shops' debt accounts (those that exist, in id order) and return what each shop
    owes (only shops that owe something). Call inside the transaction that recovers it."""
    code_of = {codes.merchant_debt(shop_id): shop_id for shop_id in set(shop_ids)}
    pks = list(Account.objects.select_for_update().filter(code__in=list(code_of)).order_by("pk").values_list("pk", flat=True))
    if not pks:
        return {}
    rows = Posting.objects.filter(account_id__in=pks).values_list("account__code").annotate(s=Sum("amount"))
    return {code_of[code]: -total for code, total in rows if total and total < 0}


def shop_funds(shop_id: int) -> dict[str, int]:
    """The shop's balances a funds page shows: available, deposit, payout in flight, debt."""
    from kadun.ledger.selectors import balance_of

    return {
        "available": balance_of(codes.merchant_available(shop_id)),
        "pending": balance_of(codes.merchant_pending(shop_id)),
        "deposit": balance_of(codes.merchant_deposit(shop_id)),
        "in_flight": balance_of(codes.merchant_payout_in_flight(shop_id)),
        "debt": debt_owed(shop_id),
    }
