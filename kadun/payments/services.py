"""Writes for payments: creating payments, handling gateway notifications, refunds."""
from __future__ import annotations

import logging
import secrets

from django.db import transaction

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.payments import providers
from kadun.payments.errors import BadNotification
from kadun.payments.models import Payment, Refund
from kadun.payments.states import PaymentStatus, RefundStatus

log = logging.getLogger("kadun.payments")
DEFAULT_PROVIDER = "sandbox"


def _number(prefix: str) -> str:
    return prefix + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(5).upper()


def payment_create(*, order, provider: str = DEFAULT_PROVIDER, return_url: str) -> tuple[Payment, str]:
    """Register the order's payment with the provider. Returns (payment, pay_url)."""
    impl = providers.get(provider)
    payment = Payment.objects.create(order=order, provider=impl.name, out_trade_no=_number("P"), amount=order.amount, created_at=clock.now())
    pay_url = impl.create_payment(payment=payment, subject=order.title, merchant_no=str(order.shop_id), return_url=return_url)
    Payment.objects.filter(pk=payment.pk).update(pay_url=pay_url)
    payment.pay_url = pay_url
    return payment, pay_url


def notification_handle(*, provider: str, params: dict[str, str]) -> str:
    """Verify and apply one gateway notification. Returns an outcome code; raises BadNotification,
    changing nothing, for a forged, stale or mismatched one. Replays change nothing and succeed."""
    from kadun.orders import services as orders

    impl = providers.get(provider)
    note = impl.verify_notification(params)
    with transaction.atomic():
        payment = Payment.objects.select_related("order").filter(provider=impl.name, out_trade_no=note.out_trade_no).first()
        if payment is None:
            raise BadNotification("unknown_payment", "支付通知对应的支付单不存在。")
        if note.amount != payment.amount:
            raise BadNotification("amount_mismatch", "支付通知金额与订单不符。")
        if note.currency != payment.currency:
            raise BadNotification("currency_mismatch", "支付通知币种与订单不符。")
        if note.merchant_no != str(payment.order.shop_id):
            raise BadNotification("merchant_mismatch", "支付通知的商户与订单不符。")
        if not note.succeeded:
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(status=PaymentStatus.FAILED)
            return "failed"
        claimed = Payment.objects.filter(pk=payment.pk, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]).update(
            status=PaymentStatus.SUCCEEDED, gateway_trade_no=note.gateway_trade_no, paid_at=clock.now()
        )
        if not claimed:
            return "duplicate"
        ledger.entry_post(
            kind="payment",
            idempotency_key=f"payment:{payment.pk}",
            lines=[(codes.external(impl.name), -payment.amount), (codes.escrow(payment.order_id), payment.amount)],
            ref_type="order",
            ref_id=payment.order_id,
            memo=f"{impl.name} {note.gateway_trade_no}",
        )
        return orders.order_on_paid(order_id=payment.order_id)


def refund_to_source(*, order, amount: int, reason: str, note: str = "") -> Refund:
    """Move ``amount`` out of the order's escrow back to where the buyer paid from. The ledger
    entry is written now, in the caller's transaction; the gateway call goes through the outbox."""
    payment = Payment.objects.get(order=order)
    refund = Refund.objects.create(
        order=order, payment=payment, refund_no=_number("R"), amount=amount, reason=reason, note=note[:300], created_at=clock.now()
    )
    ledger.entry_post(
        kind="refund",
        idempotency_key=f"refund:{refund.refund_no}",
        lines=[(codes.escrow(order.pk), -amount), (codes.external(payment.provider), amount)],
        ref_type="order",
        ref_id=order.pk,
        memo=reason,
    )
    outbox_enqueue(topic="provider_refund", payload={"refund_id": refund.pk})
    return refund


@sender("provider_refund")
def _send_refund(payload: dict) -> None:
    refund = Refund.objects.select_related("payment").get(pk=payload["refund_id"])
    if refund.status != RefundStatus.PENDING:
        return
    provider_refund_no = providers.get(refund.payment.provider).refund(refund=refund)
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        status=RefundStatus.SUCCEEDED, provider_refund_no=provider_refund_no, completed_at=clock.now()
    )
