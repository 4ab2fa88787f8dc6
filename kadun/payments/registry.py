"""Who is told that a payment succeeded. payments moves money; what was bought is not its business.

``notification_handle`` and ``payment_pay_with_wallet`` move the payment into escrow and then, in
the same transaction, call the one handler registered here with the payment's order id; its
outcome ("delivered", "paid", "late_payment" …) is theirs. ``orders`` registers
``orders.services.order_on_paid`` when the app is ready, as apps register deadline handlers and
outbox senders. So orders imports payments (checkout creates the payment, a refund pays it
back) and payments never imports orders.
"""
from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_handlers: list[Callable[..., str]] = []


def on_payment_succeeded(fn: Callable[..., str]) -> Callable[..., str]:
    """Register ``fn(*, order_id) -> outcome`` as the handler (one; registering again replaces it)."""
    _handlers[:] = [fn]
    return fn


def payment_succeeded(*, order_id: int) -> str:
    if not _handlers:
        raise ImproperlyConfigured("no handler for a succeeded payment (kadun.orders registers it when ready)")
    return _handlers[0](order_id=order_id)
