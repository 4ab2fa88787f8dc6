"""Platform-wide reads for staff: the consistency check over ledger, orders and keys."""
from __future__ import annotations

from kadun.ledger.selectors import CheckReport, ledger_invariants
from kadun.orders.selectors import order_invariants


def platform_check() -> CheckReport:
    report = CheckReport()
    ledger_invariants(report)
    order_invariants(report)
    return report
