"""A write 跑路 disposal needs from aftersales: once the platform refunded an order in full,
its open refund requests have nothing left to pay and close (in the refund's transaction, under
the order's lock), as after a missed service deadline."""
from __future__ import annotations

from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import _close, _event
from kadun.aftersales.states import OPEN, RequestStatus
from kadun.core import clock


def requests_close_order_refunded(*, order_id: int, note: str) -> int:
    closed = 0
    for request in RefundRequest.objects.filter(order_id=order_id, status__in=OPEN):
        _close(request, frm=OPEN, to=RequestStatus.ORDER_REFUNDED, resolved_at=clock.now())
        _event(request, RequestStatus.ORDER_REFUNDED, "system", note)
        closed += 1
    return closed
