"""Staff's two answers to a refund that needs attention (需人工处理): 重试 — send it to the
gateway again, with a fresh round of attempts — or 已线下退款 — the money was paid back by hand
(a bank transfer, the gateway's merchant console, USDT sent back), recorded with its reference
and the staff member. Both are conditional UPDATEs from ``attention`` with their event row; a
second click (or a second staff member) finds nothing to move and is told so."""
from __future__ import annotations

from django.db import transaction

from kadun.core import clock
from kadun.core.errors import Forbidden, InvalidInput, InvalidTransition
from kadun.evidence import privacy
from kadun.evidence import services as evidence
from kadun.evidence.registry import Fact
from kadun.payments.models import Refund, RefundEvent
from kadun.payments.refunds_gateway import enqueue
from kadun.payments.states import RefundStatus as S

# Who decides on money in the staff console (as for withdrawals): risk and admin.
ACTING_ROLES = ("risk", "admin")


def _check(staff) -> None:
    if getattr(staff, "staff_role", "") not in ACTING_ROLES:
        raise Forbidden("refund_staff_only", "只有风控或管理员可以处理退款。")


def _stuck(refund_id: int) -> Refund:
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None or refund.status != S.ATTENTION:
        raise InvalidTransition("refund_not_in_attention", "该退款不在待人工处理状态（可能已被处理）。")
    return refund


def refund_requeue(*, refund_id: int, staff) -> Refund:
    """重试: attention → pending, attempts back to 0, its message enqueued now."""
    _check(staff)
    with transaction.atomic():
        refund = _stuck(refund_id)
        if not Refund.objects.filter(pk=refund.pk, status=S.ATTENTION).update(status=S.PENDING, attempts=0, next_attempt_at=None):
            raise InvalidTransition("refund_not_in_attention", "该退款不在待人工处理状态（可能已被处理）。")
        RefundEvent.objects.create(refund=refund, kind="requeued", from_status=S.ATTENTION, to_status=S.PENDING,
                                   code=refund.last_error, actor=staff, at=clock.now())
        enqueue(refund.pk)
    refund.refresh_from_db()
    return refund


def refund_mark_manual(*, refund_id: int, staff, reference: str) -> Refund:
    """已线下退款: attention → succeeded with the transfer's reference and the staff member."""
    _check(staff)
    reference = " ".join((reference or "").split())
    if not 4 <= len(reference) <= 80:
        raise InvalidInput("reference_required", "请填写线下退款的转账流水号（4–80 个字符）。")
    now = clock.now()
    with transaction.atomic():
        refund = _stuck(refund_id)
        if not Refund.objects.filter(pk=refund.pk, status=S.ATTENTION).update(
            status=S.SUCCEEDED, manual_reference=reference, resolved_by=staff, completed_at=now, next_attempt_at=None,
        ):
            raise InvalidTransition("refund_not_in_attention", "该退款不在待人工处理状态（可能已被处理）。")
        RefundEvent.objects.create(refund=refund, kind="manual_done", from_status=S.ATTENTION, to_status=S.SUCCEEDED,
                                   code=reference, actor=staff, at=now)
        evidence.record_fact(Fact(
            kind="refund.manual_done", subject_type="order", subject_id=refund.order_id, actor_role="staff", actor_id=staff.pk,
            body={"refund_no": refund.refund_no, "amount": refund.amount, "reference_sha256": privacy.optional_text(reference),
                  "last_error": refund.last_error, "at": privacy.iso(now)},
        ))
    refund.refresh_from_db()
    return refund
