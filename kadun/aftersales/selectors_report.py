"""Reads of refund requests for the public transparency report (kadun.report)."""
from __future__ import annotations

from kadun.aftersales.models import RefundRequest


def requests_facts(ids) -> dict[int, dict]:
    """Refund request id → when it was asked, the engine's outcome and its status."""
    rows = RefundRequest.objects.filter(pk__in=set(ids)).values("pk", "created_at", "outcome", "status")
    return {r["pk"]: r for r in rows}
