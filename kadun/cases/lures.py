"""The case thread's use of risk's off-platform lure check (脱离平台交易)."""
from __future__ import annotations

from kadun.cases.states import Party
from kadun.risk import services as risk


def check(*, text: str, where: str, subject: str, author, party: str, shop_id: int | None) -> bool:
    """Flag (for risk staff) a message that looks like an off-platform contact or payment;
    True if it does, so both sides see the warning beside it."""
    lure_check = getattr(risk, "lure_check", None)
    if lure_check is None:
        return False
    found = lure_check(
        text=text, where=where, subject=subject, author_id=getattr(author, "pk", None), author_role=party,
        shop_id=shop_id if party == Party.MERCHANT else None,
    )
    return bool(found)
