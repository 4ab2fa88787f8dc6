"""What a refund request's deadlines do when the merchant did not act in time: the outcome the
rules wrote down (full refund, a breach on the merchant's record). Each runs in the sweeper's
transaction and re-checks the state under the order's lock."""
from __future__ import annotations

from django.db import transaction

from kadun.core.errors import DomainError

from kadun.aftersales.models import RefundRequest
from kadun.aftersales.states import OPEN, RequestStatus
from kadun.core import clock
from kadun.merchants.services import breach_record
from kadun.orders import services as orders
from kadun.risk import abuse
from kadun.risk.selectors_abuse import record_of_order

# services imports this module last, when these are defined.
from kadun.aftersales.services import _close, _event, _lock_order, _pay  # noqa: E402


def _refund_by_default(request_id: int, *, waiting: str, to: str, explanation: str, pay_note: str, breach: str, breach_note: str) -> str:
    """A deadline's written-down outcome: the merchant did not act in time, so the buyer is
    refunded as requested and the breach goes on the merchant's record."""
    request = RefundRequest.objects.filter(pk=request_id, status=waiting).first()
    if request is None:
        return "noop"
    order = _lock_order(request.order_id)
    _close(request, frm=[waiting], to=to)
    _event(request, to, "system", explanation)
    _pay(request, order, request.amount_requested, actor="system", note=pay_note, withdraw_keys=True)
    breach_record(shop_id=order.shop_id, kind=breach, order_id=order.pk, note=f"退款申请 {request.request_no} {breach_note}")
    orders.order_hold(order_id=order.pk, held=False)
    return "done"


TO_PLATFORM = "商家逾期未处理；买家的退款记录达到「高风险退款记录」标准，按规则不自动退款，转平台审核"
_CASE_KIND = {"invalid_key": "key_problem", "not_delivered": "service_dispute"}


def _to_platform(request: RefundRequest, order) -> None:
    """The flagged buyer's request goes to the platform as a case (platform_review), carrying the
    request; the merchant's silence is still a breach on their record."""
    from kadun.cases import services as cases

    _close(request, frm=[RequestStatus.AWAITING_MERCHANT], to=RequestStatus.PLATFORM_REVIEW, resolved_at=clock.now())
    _event(request, RequestStatus.PLATFORM_REVIEW, "system", TO_PLATFORM)
    breach_record(shop_id=order.shop_id, kind="refund_no_response", order_id=order.pk, note=f"退款申请 {request.request_no} 逾期未处理")
    cases.case_open(order=order, kind=_CASE_KIND.get(request.reason, "refund_dispute"), statement=f"系统：{TO_PLATFORM}。",
                    refund_request=request, key_ids=request.key_ids)


def merchant_silent(request_id: int) -> str:
    """Deadline: the merchant did not answer in time — the refund fires (burden on the merchant);
    unless the buyer is flagged (「高风险退款记录」), then the platform reviews it (docs/refunds.md,
    "Buyer abuse record"). The flag state read is logged either way."""
    request = RefundRequest.objects.filter(pk=request_id, status=RequestStatus.AWAITING_MERCHANT).first()
    if request is None:
        return "noop"
    order = _lock_order(request.order_id)
    record = record_of_order(order)
    ref = f"refund_request:{request.request_no}:merchant_silent"
    if record.flagged:
        try:
            with transaction.atomic():
                _to_platform(request, order)
                abuse.abuse_flag_use(order=order, ref=ref, flagged=True, counts=record.counts, effect="platform_review")
            return "done"
        except DomainError:
            pass  # no case can be opened on the order now (closed, past the case window): the written-down default applies
    abuse.abuse_flag_use(order=order, ref=ref, flagged=record.flagged, counts=record.counts, effect="refunded")
    return _refund_by_default(
        request_id, waiting=RequestStatus.AWAITING_MERCHANT, to=RequestStatus.APPROVED_BY_DEFAULT,
        explanation="商家逾期未处理，按规则视为同意，全额退款", pay_note="商家逾期未处理退款申请，系统按规则退款",
        breach="refund_no_response", breach_note="逾期未处理",
    )


def replacement_overdue(request_id: int) -> str:
    """Deadline: a promised replacement did not come — full refund and a breach on record."""
    return _refund_by_default(
        request_id, waiting=RequestStatus.AWAITING_REPLACEMENT, to=RequestStatus.BREACH_REFUNDED,
        explanation="商家未在承诺时限内补发，系统全额退款并记录违约", pay_note="商家未按承诺补发，系统自动退款",
        breach="replacement_promise_broken", breach_note="承诺补发未兑现",
    )


def service_overdue(order_id: int) -> str:
    """Deadline: a manual service not delivered in time is refunded in full by rule; a refund
    request still open on it is closed, since there is nothing left to pay."""
    with transaction.atomic():
        outcome = orders.order_service_overdue(order_id=order_id)
        if outcome == "done":
            for request in RefundRequest.objects.filter(order_id=order_id, status__in=OPEN):
                _close(request, frm=OPEN, to=RequestStatus.ORDER_REFUNDED, resolved_at=clock.now())
                _event(request, RequestStatus.ORDER_REFUNDED, "system", "商家未在期限内完成服务，订单已按规则全额退款")
            orders.order_hold(order_id=order_id, held=False)
    return outcome
