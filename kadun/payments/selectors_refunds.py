"""Reads for the refunds' gateway lifecycle: the staff's queue (需人工处理 first) and a refund's events."""
from __future__ import annotations

from kadun.payments.models import Refund, RefundEvent
from kadun.payments.states import RefundStatus

STAFF_FILTERS = ("attention", "pending", "processing", "succeeded")


def refunds_for_staff(*, status: str = "attention", limit: int = 200) -> list[Refund]:
    """Refunds to the original payment in one status (an unknown one: 需人工处理), oldest first
    for those still open, newest first for the done ones; with their order, payment and events."""
    if status not in STAFF_FILTERS:
        status = RefundStatus.ATTENTION
    rows = (Refund.objects.filter(status=status, destination="source")
            .select_related("order", "order__shop", "payment", "resolved_by")
            .prefetch_related("events__actor")
            .order_by("-completed_at" if status == RefundStatus.SUCCEEDED else "created_at"))
    return list(rows[:limit])


def attention_count() -> int:
    return Refund.objects.filter(status=RefundStatus.ATTENTION).count()


def events_of_refund(refund_id: int) -> list[RefundEvent]:
    return list(RefundEvent.objects.filter(refund_id=refund_id).order_by("at", "id"))
