"""保证金: what a shop must hold and what it holds. PLACEHOLDER owned by the deposit work
(issue 11, part 3): replaced by the real formula; the signature stays."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DepositPosition:
    required: int  # 分
    held: int  # 分
    short_since: dt.datetime | None  # when the shop fell below the requirement (None: not short)


def deposit_position(shop_id: int) -> DepositPosition:
    from kadun.ledger.selectors import balance_of
    from kadun.ledger import accounts as codes

    return DepositPosition(required=0, held=balance_of(codes.merchant_deposit(shop_id)), short_since=None)
