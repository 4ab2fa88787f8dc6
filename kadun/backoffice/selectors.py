"""Platform-wide reads for staff: the consistency check over ledger, orders and keys, and the
staff order list."""
from __future__ import annotations

from dataclasses import dataclass, field

from kadun.ledger.selectors import CheckReport, ledger_invariants
from kadun.orders.selectors import order_invariants, orders_for_staff

# What the order list loads per row: no JSON snapshots, inputs or notes.
_LIST_FIELDS = ("id", "order_no", "created_at", "title", "quantity", "amount", "status", "shop", "shop__name")


def platform_check() -> CheckReport:
    report = CheckReport()
    ledger_invariants(report)
    order_invariants(report)
    return report


@dataclass
class OrderPage:
    orders: list = field(default_factory=list)
    newer_than: int | None = None  # pass as ``after`` to get the page of newer orders
    older_than: int | None = None  # pass as ``before`` to get the page of older orders


def staff_orders_page(*, status: str | None = None, q: str | None = None, before: int | None = None,
                      after: int | None = None, size: int = 50) -> OrderPage:
    """One page of the staff order list, newest first, by keyset on the id: no COUNT(*) and no
    OFFSET, so a page costs the same on a million orders as on ten. Fetches ``size + 1`` rows to
    learn whether there is a next page; at most one more EXISTS query for the other direction."""
    qs = orders_for_staff(status=status or None, q=q or None).only(*_LIST_FIELDS)
    page = OrderPage()
    if after is not None:
        rows = list(qs.filter(pk__gt=after).order_by("pk")[: size + 1])
        more_newer = len(rows) > size
        page.orders = rows[:size][::-1]
        if more_newer:
            page.newer_than = page.orders[0].pk
        if qs.filter(pk__lte=after).exists():
            page.older_than = page.orders[-1].pk if page.orders else after + 1
        return page
    if before is not None:
        qs_page = qs.filter(pk__lt=before)
    else:
        qs_page = qs
    rows = list(qs_page[: size + 1])
    page.orders = rows[:size]
    if len(rows) > size:
        page.older_than = page.orders[-1].pk
    if before is not None and qs.filter(pk__gte=before).exists():
        page.newer_than = page.orders[0].pk if page.orders else before - 1
    return page
