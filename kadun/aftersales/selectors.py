"""Reads for refund requests. Who may see a request is who may see its order."""
from __future__ import annotations

from kadun.aftersales import engine
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.models import BuyerRefundStat, RefundEvidence, RefundRequest
from kadun.aftersales.states import ANSWERED, OPEN, RequestStatus
from kadun.orders.selectors import BUYER, MERCHANT, Viewer, order_access


def requests_of_order(order):
    return RefundRequest.objects.filter(order=order).select_related("order").prefetch_related("events", "evidence").order_by("-id")


def open_request_of(order) -> RefundRequest | None:
    return RefundRequest.objects.filter(order=order, status__in=OPEN).first()


def request_access(*, request_no: str, viewer: Viewer) -> tuple[RefundRequest, str]:
    """The request and the viewer's role on its order, or RequestNotFound (also for a request
    that exists but belongs to someone else's order)."""
    request = RefundRequest.objects.select_related("order").filter(request_no=str(request_no)[:32]).first()
    if request is None:
        raise RequestNotFound()
    try:
        _order, role = order_access(order_no=request.order.order_no, viewer=viewer)
    except Exception:
        raise RequestNotFound() from None
    return request, role


def merchant_queue(*, shop, open_only: bool = True):
    """A shop's refund requests, the one whose deadline comes first on top (the replacement
    deadline for a promised replacement, the response deadline otherwise)."""
    from django.db.models import Case, F, When

    deadline = Case(When(status=RequestStatus.AWAITING_REPLACEMENT, then=F("replace_by")), default=F("respond_by"))
    qs = RefundRequest.objects.filter(shop=shop).select_related("order").annotate(deadline=deadline)
    if open_only:
        return qs.filter(status__in=OPEN).order_by(F("deadline").asc(nulls_last=True), "-id")
    return qs.order_by("-id")


def merchant_answers_of(refund: RefundRequest) -> engine.Answers | None:
    """The answers the order's frozen rules allow the merchant now (``engine.merchant_answers``)
    while the request awaits the merchant; None otherwise (a promised replacement is kept with
    补发 or refunded by its deadline)."""
    if refund.status != RequestStatus.AWAITING_MERCHANT:
        return None
    order = refund.order
    return engine.merchant_answers(
        snapshot=order.policy_snapshot, delivery=order.delivery, reason=refund.reason, cited=tuple(refund.clauses or ())
    )


def open_count(*, shop) -> int:
    return RefundRequest.objects.filter(shop=shop, status__in=OPEN).count()


def buyer_stats(key: str) -> BuyerRefundStat | None:
    return BuyerRefundStat.objects.filter(buyer_key=key).first()


def answered_request(order, key_ids: list[int]) -> RefundRequest | None:
    """The latest request on these keys (any, for a service order) the merchant rejected or
    approved only in part: what a new request would restart, and what a case escalates."""
    answered = RefundRequest.objects.filter(order=order, status__in=ANSWERED).order_by("-id")
    for request in answered:
        if not order.is_auto or not key_ids or not request.key_ids or set(key_ids) & set(request.key_ids):
            return request
    return None


def requests_for_staff(status: str | None = None):
    """Every refund request, for the staff console (newest first; a status filter), with the
    order and the shop read with it."""
    qs = RefundRequest.objects.select_related("order", "shop").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs


__all__ = ["BUYER", "MERCHANT", "requests_of_order", "open_request_of", "request_access", "merchant_queue", "merchant_answers_of", "buyer_stats"]


def holds_order(order_id: int) -> bool:
    """An open refund request holds its order's money (``orders.services.order_hold``)."""
    return RefundRequest.objects.filter(order_id=order_id, status__in=OPEN).exists()


def evidence_files(*, order_id: int, hashes) -> list[tuple[str, str, object]]:
    """The order's refund-request images whose SHA-256 is in ``hashes``: (sha256, content type,
    a function opening the file), for the evidence bundle (who may see the order sees them all)."""
    from kadun.aftersales import evidence as evidence_store

    rows = RefundEvidence.objects.filter(request__order_id=order_id, sha256__in=list(hashes)).order_by("id")
    return [(row.sha256, row.content_type, lambda row=row: evidence_store.open_file(row)) for row in rows]
