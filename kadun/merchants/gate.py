"""May this shop sell, may it withdraw? One place every path asks (checkout, listing, payout).

Each rule of merchant accountability adds its check here: not yet approved (资质审核), below the
deposit requirement past the grace, banned (封号), frozen by risk (跑路 protection). A check
returns the DomainError to raise (with its stable code and Chinese message) or None. The first
refusal wins; the order of the list is the order a merchant should fix things in.
"""
from __future__ import annotations

from collections.abc import Callable

from kadun.core.errors import DomainError

SELL_CHECKS: list[Callable[[int], DomainError | None]] = []
WITHDRAW_CHECKS: list[Callable[[int], DomainError | None]] = []


def selling_refusal(shop_id: int) -> DomainError | None:
    for check in SELL_CHECKS:
        refusal = check(shop_id)
        if refusal is not None:
            return refusal
    return None


def withdrawal_refusal(shop_id: int) -> DomainError | None:
    for check in WITHDRAW_CHECKS:
        refusal = check(shop_id)
        if refusal is not None:
            return refusal
    return None
from kadun.merchants import penalties_gate  # noqa: E402,F401  (封号: registers the ban checks)
