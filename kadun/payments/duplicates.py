"""重复支付: a payment that succeeds for an order which already has a credited payment (the buyer
switched method and then paid both, or two succeeded at once). It is never credited to the order:
its money goes from the provider into the payment's own suspense account and straight back out to
its source through a Refund (reason ``duplicate_payment``; the provider's refund call is the
outbox message ``provider_refund``). The DB guard is the partial unique constraint
``payment_one_credited_per_order``: the success UPDATE runs in a savepoint, and the loser's
IntegrityError lands here."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.evidence import services as evidence
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.notifications.services import outbox_enqueue
from kadun.payments import evidence as sources
from kadun.payments.models import Payment, Refund
from kadun.payments.states import PaymentStatus, RefundStatus

REASON = "duplicate_payment"
CLAIMABLE = (PaymentStatus.PENDING, PaymentStatus.FAILED)


def payment_claim(payment: Payment, *, gateway_trade_no: str, at, siblings: bool = True) -> str:
    """Mark the payment succeeded if it may be: "credited" (it is now the order's one credited
    payment), "duplicate" (the order already had one: it is now DUPLICATE, to be refunded by the
    caller with ``duplicate_refund``), or "replay" (already applied: nothing changed).

    ``siblings``: whether the order has other payments (read with the payment). Without any, no
    other payment can be credited and the UPDATE runs bare; with some, it runs in a savepoint and
    the constraint's IntegrityError (another was credited first, or concurrently: PostgreSQL makes
    the second wait for the first's commit) makes this one the duplicate."""
    fields = {"gateway_trade_no": gateway_trade_no, "paid_at": at}
    claimable = Payment.objects.filter(pk=payment.pk, status__in=CLAIMABLE)
    if not siblings or payment.order_id is None:
        return "credited" if claimable.update(status=PaymentStatus.SUCCEEDED, **fields) else "replay"
    try:
        with transaction.atomic():  # the savepoint: the loser's failed UPDATE rolls back alone
            return "credited" if claimable.update(status=PaymentStatus.SUCCEEDED, **fields) else "replay"
    except IntegrityError:
        pass
    return "duplicate" if claimable.update(status=PaymentStatus.DUPLICATE, **fields) else "replay"


def duplicate_refund(payment: Payment, *, provider: str, memo: str) -> Refund:
    """The duplicate payment's money in (provider → its suspense account) and back out to its
    source (a Refund, its entry, the outbox's provider refund), in the caller's transaction.
    Idempotent on the payment: keys ``duplicate:payment:<id>`` and ``refund:duplicate:payment:<id>``."""
    from kadun.payments.services import _number

    suspense = codes.payment_suspense(payment.pk)
    amount = int(payment.amount)
    ledger.entry_post(kind="duplicate_payment", idempotency_key=f"duplicate:payment:{payment.pk}",
                      lines=[(codes.external(provider), -amount), (suspense, amount)],
                      ref_type="order", ref_id=payment.order_id, memo=f"重复支付 {memo}")
    idem = f"refund:duplicate:payment:{payment.pk}"
    existing = Refund.objects.filter(idempotency_key=idem).first()
    if existing is not None:
        return existing
    refund = Refund.objects.create(
        order_id=payment.order_id, payment=payment, refund_no=_number("R"), amount=amount, reason=REASON,
        note="重复支付，已自动原路退回", destination="source", idempotency_key=idem, created_at=clock.now(),
        status=RefundStatus.PENDING,
    )
    evidence.record("payments.refund", refund)
    ledger.entry_post(kind="refund", idempotency_key=idem, lines=[(suspense, -amount), (codes.external(provider), amount)],
                      ref_type="order", ref_id=payment.order_id, memo="重复支付原路退回")
    outbox_enqueue(topic="provider_refund", payload={"refund_id": refund.pk})
    return refund


def duplicate_fact(*, provider: str, params: dict, payment: Payment, refund: Refund, at):
    """The notification's evidence fact for a duplicate: outcome ``duplicate_refunded`` and its refund."""
    fact = sources.notification_fact(provider=provider, params=params, payment=payment, outcome="duplicate_refunded", at=at)
    fact.body["refund_no"] = refund.refund_no
    return fact
