"""跑路 protection reads. PLACEHOLDER owned by the runaway work (issue 11, part 7): replaced by
the real reads; the signature stays."""
from __future__ import annotations


def shop_frozen(shop_id: int) -> bool:
    """Risk froze the shop (listings paused, withdrawals blocked, escrow held past auto-confirm)."""
    return False
