"""封号 in the gate: a banned shop sells nothing and withdraws nothing (registered by gate.py)."""
from __future__ import annotations

from kadun.core.errors import DomainError
from kadun.merchants.gate import SELL_CHECKS, WITHDRAW_CHECKS
from kadun.merchants.penalties_errors import ShopBanned, WithdrawalsFrozenBan
from kadun.merchants.selectors_penalties import is_banned


def ban_sell_check(shop_id: int) -> DomainError | None:
    return ShopBanned() if is_banned(shop_id) else None


def ban_withdraw_check(shop_id: int) -> DomainError | None:
    return WithdrawalsFrozenBan() if is_banned(shop_id) else None


SELL_CHECKS.append(ban_sell_check)
WITHDRAW_CHECKS.append(ban_withdraw_check)
