"""The payment-provider interface: create a payment, verify a notification, query, refund."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class VerifiedNotification:
    """A notification whose signature and freshness the provider has verified. The payments
    service still checks it against our own payment (amount, currency, merchant)."""

    out_trade_no: str
    gateway_trade_no: str
    amount: int  # 分
    currency: str
    merchant_no: str
    succeeded: bool


class Provider(Protocol):
    name: str
    label: str

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        """Register the payment with the gateway; return the URL the buyer is sent to. Called in
        the checkout's transaction before the payment is inserted (with that URL): its fields are
        set, its primary key is not."""

    def verify_notification(self, params: dict[str, str]) -> VerifiedNotification:
        """Check signature, timestamp and app id; raise BadNotification with a code otherwise."""

    def query(self, *, payment) -> str:
        """Ask the gateway for a payment's status: 'paid', 'failed' or 'pending'."""

    def refund(self, *, refund) -> str:
        """Refund at the gateway; return the gateway's refund number. Idempotent on refund_no."""
