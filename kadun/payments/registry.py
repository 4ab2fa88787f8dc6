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


# Merchant funds (docs/merchants.md). payments moves a deposit top-up into the shop's deposit and
# takes deposit for a refund; the shop's deposit position (short since when) is merchants'
# business, told here in the same transaction. A payout's result, verified from the gateway's
# notification, is handed to the one handler merchants registers (the withdrawal's state and its
# ledger entry are merchants').
_deposit_listeners: list[Callable[..., None]] = []
_payout_handlers: list[Callable[..., str]] = []


def on_deposit_changed(fn: Callable[..., None]) -> Callable[..., None]:
    """Register ``fn(*, shop_id)``; registering the same function again changes nothing."""
    if fn not in _deposit_listeners:
        _deposit_listeners.append(fn)
    return fn


def deposit_changed(*, shop_id: int) -> None:
    for fn in _deposit_listeners:
        fn(shop_id=shop_id)


def on_payout_result(fn: Callable[..., str]) -> Callable[..., str]:
    """Register ``fn(*, payout_no, succeeded, gateway_no, reason, amount) -> outcome`` (one). It
    raises BadNotification for a result that does not match our payout (unknown, other amount)."""
    _payout_handlers[:] = [fn]
    return fn


def payout_result(*, payout_no: str, succeeded: bool, gateway_no: str, reason: str = "", amount: int | None = None) -> str:
    if not _payout_handlers:
        raise ImproperlyConfigured("no handler for a payout result (kadun.merchants registers it when ready)")
    return _payout_handlers[0](payout_no=payout_no, succeeded=succeeded, gateway_no=gateway_no, reason=reason, amount=amount)


# 售后保险 (kadun.insurance registers both when ready). A refund after release that the merchant
# can't cover asks how much of the shortfall the insurance pool pays for this order (0: not
# insured, or the pool is empty), and, once the refund's entry is posted, books the claim (its
# row and its entry) in the same transaction. Without a registered handler nothing is insured.
_shortfall_handlers: list[Callable[..., int]] = []
_claim_handlers: list[Callable[..., None]] = []


def on_insured_shortfall(fn: Callable[..., int]) -> Callable[..., int]:
    """Register ``fn(*, order, shortfall) -> 分 the pool pays`` (one)."""
    _shortfall_handlers[:] = [fn]
    return fn


def on_insured_claim_paid(fn: Callable[..., None]) -> Callable[..., None]:
    """Register ``fn(*, order, amount, refund)`` (one)."""
    _claim_handlers[:] = [fn]
    return fn


def insured_shortfall(*, order, shortfall: int) -> int:
    return max(int(_shortfall_handlers[0](order=order, shortfall=shortfall)), 0) if _shortfall_handlers else 0


def insured_claim_paid(*, order, amount: int, refund) -> None:
    if not _claim_handlers:
        raise ImproperlyConfigured("the insurance pool paid a refund but no claim handler is registered")
    _claim_handlers[0](order=order, amount=amount, refund=refund)
