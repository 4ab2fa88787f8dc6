"""Platform-wide reads for staff: the consistency check over ledger, orders and keys, and the
staff order list."""
from __future__ import annotations

from kadun.core.pagination import KeysetPage, keyset_page
from kadun.inventory.selectors import key_invariants
from kadun.ledger.selectors import CheckReport, ledger_invariants
from kadun.orders.selectors import LIST_FIELDS, order_invariants, orders_for_staff



def platform_check() -> CheckReport:
    report = CheckReport()
    ledger_invariants(report)
    order_invariants(report)
    key_invariants(report)
    return report


def staff_orders_page(*, status: str | None = None, q: str | None = None, before: int | None = None,
                      after: int | None = None, size: int = 50) -> KeysetPage:
    """One page of the staff order list, newest first, by keyset on the id (kadun.core.pagination)."""
    return keyset_page(orders_for_staff(status=status or None, q=q or None).only(*LIST_FIELDS, "shop", "shop__name"), before=before, after=after, size=size)
