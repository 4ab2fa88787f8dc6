"""The thread's use of risk's off-platform lure check (脱离平台交易): a message that looks like
an off-platform contact or payment is flagged for risk staff with its text and author, and both
sides see a warning beside it."""
from __future__ import annotations

from kadun.cases.states import Party
from kadun.risk import selectors as risk_reads
from kadun.risk import services as risk

ROLES = {Party.BUYER: "buyer", Party.MERCHANT: "merchant", Party.STAFF: "staff"}


def check(*, text: str, where: str, subject: str, author, party: str, order) -> bool:
    """True if the text holds a lure (a flag was written for risk staff, unless staff wrote it).
    The buyer's own inputs on the order (a phone number to top up, say) are not lures."""
    role = ROLES.get(party, "buyer")
    if role == "buyer" and not getattr(author, "pk", None):
        role = "guest"
    found = risk.lure_check(
        text=text, where=where, subject=subject, author_id=getattr(author, "pk", None), author_role=role,
        shop_id=order.shop_id if party == Party.MERCHANT else None, allow=risk_reads.order_allowances(order),
    )
    return bool(found)
