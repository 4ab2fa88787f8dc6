"""换一种支付方式: a pending order's buyer starts a new payment with another enabled provider.

The order keeps every payment it had; the old ones stay pending at their gateways, and a late
success on one of them, after another was credited, is a duplicate refunded to its source
(``kadun.payments.duplicates``). The order's row lock serialises a switch with the order's
payment success and its expiry; the checks run under it, and a refusal changes nothing."""
from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from kadun.core import clock
from kadun.core.errors import DomainError, Forbidden
from kadun.orders.records import event_write
from kadun.orders.selectors import BUYER
from kadun.orders.states import Actor
from kadun.orders.states import OrderStatus as S

MAX_PAYMENTS = 5  # payments one order may start (checkout's included)


class SwitchRefused(DomainError):
    code = "payment_switch_refused"
    status = 409
    message = "无法更换支付方式。"


def _refuse(code: str, message: str, status: int = 409) -> SwitchRefused:
    return SwitchRefused(code, message, status=status)


def order_payment_switch(*, order, role: str, provider: str, user=None, client_ip: str = "", user_agent: str = ""):
    """A new payment of ``order`` with ``provider`` (an enabled one, not the current pending
    one). Returns (payment, outcome): outcome "created" (the buyer pays at ``payment.pay_url``)
    or, for the wallet (the logged-in buyer only), what paying it at once gave ("delivered",
    "paid" …; a short balance raises WalletInsufficient and nothing is created)."""
    from kadun.orders.services import order_lock
    from kadun.payments import providers
    from kadun.payments import selectors as payment_reads
    from kadun.payments import services as payments

    if role != BUYER:
        raise Forbidden("not_buyer", "只有买家可以更换支付方式。")
    provider = (provider or "").strip()[:20]
    if not providers.is_enabled(provider):
        raise _refuse("provider_unavailable", "该支付方式当前不可用，请选择其他支付方式。", 400)
    wallet = provider == providers.WALLET
    if wallet and not (user is not None and user.is_authenticated and order.buyer_id == user.pk):
        raise Forbidden("wallet_needs_account", "登录后才能使用平台余额支付。")
    with transaction.atomic():
        locked = order_lock(order.pk)
        if locked.status != S.PENDING_PAYMENT or payment_reads.credited_payment(locked.pk) is not None:
            raise _refuse("order_not_pending", "订单已不是待支付状态，不能更换支付方式。")
        if clock.now() >= locked.expires_at:
            raise _refuse("order_payment_expired", "订单已超过支付期限，不能更换支付方式。")
        if payment_reads.payments_count(locked.pk) >= MAX_PAYMENTS:
            raise _refuse("too_many_payments", f"每个订单最多发起{MAX_PAYMENTS}次支付，请重新下单。")
        current = payment_reads.payment_of(locked)
        if current is not None and current.provider == provider and current.status == "pending" and not wallet:
            raise _refuse("same_provider", "当前已是该支付方式，请直接支付。", 400)
        payment, _url = payments.payment_create(
            order=locked, provider=provider, return_url=reverse("web:order", args=[locked.order_no]),
            premium=current.premium if current is not None else 0, client_ip=client_ip, user_agent=user_agent,
        )
        actor = Actor.BUYER if locked.buyer_id else Actor.GUEST
        event_write(locked.pk, "payment_switched", actor=actor, frm=locked.status, to=locked.status, user=user,
                    note=f"{providers.get(provider).label} {payment.out_trade_no}")
        outcome = payments.payment_pay_with_wallet(order=locked, user=user) if wallet else "created"
    return payment, outcome
