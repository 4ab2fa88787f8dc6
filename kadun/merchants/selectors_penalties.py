"""违规 / 处罚 reads. PLACEHOLDER owned by the penalties work (issue 11, part 6): replaced by the
real reads; the signatures stay."""
from __future__ import annotations


def warnings_active(shop_id: int, *, days: int = 365) -> int:
    """Confirmed warnings (警告) of the shop within the last ``days``."""
    return 0


def is_banned(shop_id: int) -> bool:
    return False
