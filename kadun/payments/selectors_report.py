"""Reads of refunds for the public transparency report (kadun.report)."""
from __future__ import annotations

from kadun.payments.models import Refund


def refunds_for_report(*, since=None) -> list[dict]:
    """Every refund paid (since ``since``): order, amount, the key it was paid under (which says
    its path: ``refund_request:<id>``, ``case:<id>:<stage>``, ``<reason>:order:<id>``, …), when it
    was paid, and when the order's payment succeeded (the refund's payment: the credited one).
    重复支付 refunds (reason ``duplicate_payment``) are left out: they pay back a second payment
    that was never credited to the order, not a refund of what was bought."""
    qs = Refund.objects.exclude(reason="duplicate_payment")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = qs.values("order_id", "amount", "idempotency_key", "reason", "created_at", "payment__paid_at")
    return [
        {"order_id": r["order_id"], "amount": r["amount"], "key": r["idempotency_key"].removeprefix("refund:"), "reason": r["reason"],
         "at": r["created_at"], "paid_at": r["payment__paid_at"]}
        for r in rows
    ]
