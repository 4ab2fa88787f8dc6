"""跑路 protection's checks in the merchants gate (``merchants.gate``): a frozen shop may not
sell nor withdraw. Registered when the risk app is ready."""
from __future__ import annotations

from kadun.core.errors import DomainError
from kadun.risk.errors import ShopFrozen, WithdrawalFrozen
from kadun.risk.selectors_freeze import shop_frozen


def sell_check(shop_id: int) -> DomainError | None:
    return ShopFrozen() if shop_frozen(shop_id) else None


def withdraw_check(shop_id: int) -> DomainError | None:
    return WithdrawalFrozen() if shop_frozen(shop_id) else None


def register() -> None:
    from kadun.merchants import gate

    if sell_check not in gate.SELL_CHECKS:
        gate.SELL_CHECKS.append(sell_check)
    if withdraw_check not in gate.WITHDRAW_CHECKS:
        gate.WITHDRAW_CHECKS.append(withdraw_check)
