"""Payments' facts in the evidence log: each gateway notification applied (its parameters as
received, signature and secret-like fields redacted), and each refund issued."""
from __future__ import annotations

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source

REDACTED = "[redacted]"
# Parameter names whose values are never logged: a signature can't be replayed from the log, and
# nothing that looks like a secret or a key reaches it.
_SECRET_WORDS = ("sign", "secret", "key", "token", "password")


def redact(params: dict) -> dict:
    return {
        str(k): REDACTED if any(w in str(k).lower() for w in _SECRET_WORDS) else str(v)[:200]
        for k, v in sorted(params.items())
    }


def notification_fact(*, provider: str, params: dict, payment, outcome: str, at, via: str = "notify") -> Fact:
    """A notification has no row of its own: the body is the whole record (``record_fact``). A
    deposit top-up (保证金) has no order: its subject is the shop. A result learnt by asking the
    gateway (the payment watch) is the same fact with ``"source": "query"`` and the answer's
    fields as its parameters."""
    subject = ("order", payment.order_id) if payment.order_id else ("shop", payment.deposit_shop_id)
    extra = {} if via == "notify" else {"source": via}
    return Fact(
        kind="payment.notified", subject_type=subject[0], subject_id=subject[1], actor_role="gateway", actor_id=None,
        body={
            "payment": payment.pk, "out_trade_no": payment.out_trade_no, "provider": provider, "outcome": outcome,
            "amount": payment.amount, "params": redact(params), "received_at": privacy.iso(at), **extra,
        },
    )


@source("payments.refund", model="payments.Refund")
def refund_issued(refund) -> Fact:
    return Fact(
        kind="refund.issued", subject_type="order", subject_id=refund.order_id, actor_role="system", actor_id=None,
        body={
            "refund_no": refund.refund_no, "order": refund.order_id, "payment": refund.payment_id, "amount": refund.amount,
            "reason": refund.reason, "destination": refund.destination, "note_sha256": privacy.optional_text(refund.note),
            "created_at": privacy.iso(refund.created_at),
        },
    )
