"""Writes for orders: checkout, payment outcome, delivery, confirmation, expiry, settlement.

Every state change is a conditional update with its event row (and ledger entry, when money
moves) in one transaction; side effects are outbox rows sent after commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from kadun.catalog import policies
from kadun.catalog.states import Delivery
from kadun.core import clock
from kadun.core.errors import InvalidTransition
from kadun.core.money import fen_to_yuan
from kadun.core.transitions import apply_one, transition
from kadun.deadlines.services import deadline_schedule
from kadun.evidence import services as evidence
from kadun.inventory import selectors as inventory_reads
from kadun.inventory import services as inventory
from kadun.catalog.errors import ProductNotFound
from kadun.notifications.services import message_send, notify, outbox_enqueue
from kadun.orders.errors import (
    ContactRequired,
    InvalidQuantity,
    MissingBuyerInput,
    RefundTooLarge,
    NotConfirmable,
    OutOfStock,
)
from kadun.orders import confirmations, passwords
from kadun.orders.models import CheckoutConfirmation, Order
from kadun.orders.records import event_write, locked
from kadun.orders.warnings import checkout_warnings
from kadun.risk.selectors_abuse import request_signals
from kadun.orders.states import (
    LATE_PAYMENT_SOURCES,
    PAY,
    PAY_DELIVER,
    UNFILLED_PAYMENT_SOURCES,
    Actor,
    OrderStatus,
    sources_of,
)
from kadun.payments.registry import on_payment_succeeded
from kadun.reputation import restrictions as credit_restrictions

if TYPE_CHECKING:
    from kadun.catalog.models import Product

S = OrderStatus
KIND_SERVICE_DUE = "order_service_due"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _order_no() -> str:
    return clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"


_event = event_write  # (order id, kind, actor, …): the event row every change writes beside itself


def order_lock(order_id: int) -> Order:
    """The order, locked for the caller's transaction (PostgreSQL: FOR NO KEY UPDATE; SQLite has
    one writer at a time). Other apps that change an order's money (refund requests) take its
    lock through here first."""
    return locked([order_id]).get()


def _move(order_id: int, to: str, *, kind: str, actor: str, user=None, note: str = "", error=None, frm: str | None = None, **changes) -> str:
    """Conditional update from any state allowed to reach ``to``; returns the state it left.
    ``frm``: the state the caller has just read under the order's lock, instead of reading it
    again (the conditional update still refuses the move if the order is no longer in it)."""
    if frm is None:
        frm = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    allowed = sources_of(to)
    if frm not in allowed:
        raise error or NotConfirmable()
    transition(Order, pk=order_id, from_states=[frm], to=to, error=error, **changes)
    _event(order_id, kind, actor=actor, frm=frm, to=to, user=user, note=note)
    return frm


def _clean_inputs(product: Product, inputs: dict | None) -> dict:
    inputs = inputs or {}
    cleaned = {}
    for spec in product.buyer_fields:
        value = str(inputs.get(spec["name"], "")).strip()[:200]
        if spec.get("required", True) and not value:
            raise MissingBuyerInput(message=f"请填写「{spec['label']}」。")
        if value:
            cleaned[spec["name"]] = value
    return cleaned


def order_create(
    *,
    product_id: int,
    quantity: int,
    buyer=None,
    contact: str = "",
    query_password: str = "",
    buyer_inputs: dict | None = None,
    provider: str | None = None,
    confirm_no_reason_exclusion: bool = False,
    confirm_low_price: bool = False,
    channel: str = confirmations.API,
    insure: bool = False,
    client_ip: str = "",
    user_agent: str = "",
) -> tuple[Order, str, str]:
    """Checkout. Returns (order, access_token, pay_url). The access token is the guest's key to the
    order page; only its hash is stored, so it is shown once, on the page that follows checkout.
    The order comes back with what checkout wrote for it in hand, so the response reads nothing
    again: ``order.payment``, ``order.checkout_events`` (its one event) and
    ``order.checkout_confirmations_made``.

    A product whose current rules (the ones frozen onto this order) exclude 7天无理由 needs the
    buyer's confirmation on this purchase (``confirm_no_reason_exclusion``; 暂行办法 §20), else
    NoReasonConfirmationRequired and nothing is created. ``channel`` (web / api) is recorded with
    the confirmation, and chooses the text stored: the page's label in its language, or the
    Chinese text the API documents.

    下单前提示 (``orders.warnings``): the warnings that hold now are stored on the order
    (``checkout_warnings``, with their figures) and logged with it; a 超低价 warning needs
    ``confirm_low_price`` (True), else LowPriceConfirmationRequired and nothing is created.

    ``insure``: the buyer bought 售后保险 (kadun.insurance): its terms are frozen onto the order and
    its premium is added to the payment. ``client_ip`` and ``user_agent`` (the buyer's) reach the
    gateway (``payments.payment_create``)."""
    from kadun.catalog import selectors as catalog
    from kadun.insurance import services as insurance
    from kadun.payments import services as payments

    product = catalog.product_for_checkout(product_id)
    if product is None:
        raise ProductNotFound()
    _may_sell(product)
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise InvalidQuantity() from None
    if product.delivery == Delivery.MANUAL and quantity != 1:
        raise InvalidQuantity(message="服务类商品每单只能购买1份。")
    if not 1 <= quantity <= product.max_per_order:
        raise InvalidQuantity(message=f"购买数量需在1到{product.max_per_order}之间。")
    is_guest = buyer is None or not buyer.is_authenticated
    contact = (contact or "").strip()[:120]
    if is_guest and (not contact or len(query_password or "") < 6 or len(query_password) > 128):
        raise ContactRequired()
    inputs = _clean_inputs(product, buyer_inputs) if product.delivery == Delivery.MANUAL else {}
    if product.is_auto and not inventory_reads.in_stock(product.pk, quantity):
        raise OutOfStock()
    if not is_guest and buyer.pk and product.shop.owner_id == buyer.pk:
        raise InvalidQuantity("own_product", "不能购买自己店铺的商品。")

    credit_restrictions.order_check(shop_id=product.shop_id, amount=product.price * quantity)  # 信用分: the per-order limit of the band
    policy = catalog.policy_current(product)
    snapshot, digest = policies.snapshot(policy.rules, delivery=product.delivery, policy_version=policy.version)
    confirmed = confirmations.required_at_checkout(product, policy.rules, no_reason=confirm_no_reason_exclusion, channel=channel)
    shown = checkout_warnings(product, policy.rules)
    device_hash, ip_hash = request_signals()  # the address and device this checkout came from (keyed hashes), for 异常订单预警
    confirmed += confirmations.warnings_confirmed(shown, low_price=confirm_low_price, channel=channel)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        order = Order.objects.create(
            order_no=_order_no(),
            buyer=None if is_guest else buyer,
            contact=contact,
            query_password=passwords.make(query_password) if is_guest else "",
            access_token_hash=token_hash(token),
            shop=product.shop,
            product=product,
            title=product.title,
            delivery=product.delivery,
            quantity=quantity,
            unit_price=product.price,
            amount=product.price * quantity,
            inspection_hours=product.inspection_hours,
            buyer_inputs=inputs,
            policy_snapshot=snapshot,
            policy_hash=digest,
            no_reason_waived=any(c.kind == CheckoutConfirmation.KIND_NO_REASON_EXCLUSION for c in confirmed),
            checkout_warnings=[w.stored() for w in shown],
            device_hash=device_hash, ip_hash=ip_hash,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.KADUN_PAYMENT_TIMEOUT_MINUTES),
        )
        created = _event(order.pk, "created", actor=Actor.GUEST if is_guest else Actor.BUYER, to=S.PENDING_PAYMENT, user=buyer, log=False)
        for confirmation in confirmed:
            confirmation.order, confirmation.at = order, now
        made = CheckoutConfirmation.objects.bulk_create(confirmed)
        # The order with its frozen rules, its event and the buyer's confirmations: one INSERT.
        evidence.record_rows([("orders.order", order), ("orders.event", created)] + [("orders.confirmation", c) for c in made])
        deadline_schedule(kind=KIND_EXPIRE, subject_id=order.pk, due_at=order.expires_at)
        premium = insurance.cover_create(order=order, product=product) if insure else 0  # 售后保险: terms frozen, premium paid with the order
        payment, pay_url = payments.payment_create(order=order, provider=provider, return_url=reverse("web:order", args=[order.order_no]),
                                                   premium=premium, client_ip=client_ip, user_agent=user_agent)
    order.payment = payment  # the cached_property, assigned: the response reads nothing again
    order.checkout_events = [created]  # for the response, with order.payment (see above)
    order.checkout_confirmations_made = made
    return order, token, pay_url


def _may_sell(product) -> None:
    """The gate every sale passes (``merchants.gate``): the shop may sell (approved, and no
    later rule — deposit, ban, freeze — refuses it), in this product's category."""
    from kadun.merchants.gate import selling_refusal
    from kadun.merchants.onboarding_selectors import category_refusal

    refusal = selling_refusal(product.shop_id) or category_refusal(product.shop, product.category)
    if refusal is not None:
        raise refusal


@on_payment_succeeded
def order_on_paid(*, order_id: int) -> str:
    """The order's payment succeeded and its money is in escrow (same transaction; payments calls
    this through ``payments.registry``, registered when the app is ready). Deliver keys,
    or queue the service for the merchant; if the keys ran out or the order had expired, refund
    in full at once. Returns the outcome."""
    order = order_lock(order_id)  # a racing expiry waits, or we see it expired
    now = clock.now()
    if order.status != S.PENDING_PAYMENT:
        # Paid after expiry (or after anything else): the money goes straight back.
        _event(order.pk, "paid", actor=Actor.GATEWAY, frm=order.status, to=order.status, note="订单已不在待支付状态，款项原路退回")
        return _refund_all(order, reason="late_payment", note="订单已过期后才收到付款，已全额原路退回。", sources=LATE_PAYMENT_SOURCES)
    if order.is_auto:
        keys = inventory.keys_allocate(order_id=order.pk, product_id=order.product_id, quantity=order.quantity)
        if keys is None:
            _event(order.pk, "paid", actor=Actor.GATEWAY, frm=S.PENDING_PAYMENT, to=S.PENDING_PAYMENT)
            return _refund_all(order, reason="out_of_stock", note="付款时库存已售罄，已全额原路退回。", sources=UNFILLED_PAYMENT_SOURCES)
        apply_one(Order, PAY_DELIVER, pk=order.pk, paid_at=now, delivered_at=now)
        _event(order.pk, PAY_DELIVER.name, actor=Actor.GATEWAY, frm=S.PENDING_PAYMENT, to=S.DELIVERED, note=f"已自动发货 {len(keys)} 个卡密")
        deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=now + dt.timedelta(hours=order.inspection_hours))
        _notify_buyer(order, "订单已发货", f"订单 {order.order_no}（{order.title}）已自动发货，请在订单页查看卡密。")
        return "delivered"
    apply_one(Order, PAY, pk=order.pk, paid_at=now)
    _event(order.pk, PAY.name, actor=Actor.GATEWAY, frm=S.PENDING_PAYMENT, to=S.PAID)
    hours = (order.policy_snapshot or {}).get("rules", {}).get("delivery_deadline_hours")
    if hours:
        deadline_schedule(kind=KIND_SERVICE_DUE, subject_id=order.pk, due_at=now + dt.timedelta(hours=hours))
    notify(user_id=order.shop.owner_id, title=f"新订单待接单：{order.title}", link=reverse("merchants:order", args=[order.order_no]), event="order_to_accept")
    from kadun.risk.runaway import runaway_poke

    runaway_poke(shop_id=order.shop_id)  # 跑路 signals: a service queued for the merchant
    return "paid"


def _refund_all(order: Order, *, reason: str, note: str, sources: tuple[str, ...]) -> str:
    order_refund(order_id=order.pk, amount=order.amount - order.refunded_amount, reason=reason, note=note, key=f"{reason}:order:{order.pk}", sources=sources)
    return reason


def order_refund(
    *, order_id: int, amount: int, reason: str, sources: tuple[str, ...], note: str = "", destination: str = "source",
    key: str, actor: str = Actor.SYSTEM, user=None,
):
    """Refund part or all of an order, in the caller's transaction. Idempotent on ``key``.

    One conditional update carries every guard: the order is in one of ``sources`` (the states
    the caller's rule refunds from — a refund request, a missed service deadline, a late
    payment …), and cumulative refunds stay within the amount paid; the same statement moves the
    order to refunded when this refund completes it. Refused (nothing moved) otherwise. A full
    refund stops what was pending for the order (auto-confirm, settlement: they find it
    refunded)."""
    from django.db.models import Case, F, Value, When

    from kadun.payments import services as payments

    with transaction.atomic():
        existing = payments.refund_by_key(key)
        if existing is not None:
            return existing
        amount = int(amount)
        if amount <= 0:
            raise RefundTooLarge("invalid_refund_amount", "退款金额必须大于0。", status=400)
        frm = Order.objects.filter(pk=order_id).values_list("status", flat=True).get()  # for the event; the update re-checks it
        completes = Q(refunded_amount=F("amount") - amount)
        now = clock.now()
        moved = Order.objects.filter(
            pk=order_id, status=frm, status__in=list(sources), refunded_amount__lte=F("amount") - amount,
        ).update(
            refunded_amount=F("refunded_amount") + amount,
            status=Case(When(completes, then=Value(S.REFUNDED)), default=F("status")),
            refunded_at=Case(When(completes, then=Value(now)), default=F("refunded_at")),
        )
        if not moved:
            if frm not in sources:
                raise InvalidTransition("not_refundable", "订单当前状态不能按此规则退款。")
            raise RefundTooLarge()
        order = Order.objects.get(pk=order_id)
        refund = payments.refund_issue(order=order, amount=amount, reason=reason, destination=destination, note=note, key=key)
        label = "原路退回" if destination == "source" else "退到平台余额"
        if order.status == S.REFUNDED:
            _event(order.pk, "refunded", actor=actor, frm=frm, to=S.REFUNDED, user=user, note=f"{note}（{fen_to_yuan(amount)} 元，{label}）")
            for listener in REFUNDED_LISTENERS:
                listener(order.pk, key)
        else:
            _event(order.pk, "partially_refunded", actor=actor, user=user, note=f"{note}（{fen_to_yuan(amount)} 元，{label}）")
        _notify_buyer(order, "订单已退款", f"订单 {order.order_no}：已退款 {fen_to_yuan(amount)} 元（{label}）。{note}")
    return refund


def orders_anonymise_buyer(*, buyer_id: int) -> int:
    """Account closure: the contact on the buyer's orders is erased; the orders stay (电子商务法
    §31: transaction records are kept at least three years)."""
    return Order.objects.filter(buyer_id=buyer_id).exclude(contact="").update(contact="")


def _notify_buyer(order: Order, title: str, body: str) -> None:
    if order.buyer_id:
        message_send(user_id=order.buyer_id, title=title, body=body, link=reverse("web:order", args=[order.order_no]))
    elif "@" in order.contact:
        # No link with a token: the guest opens the order with order number + query password.
        outbox_enqueue(
            topic="email", payload={"to": order.contact, "subject": f"[kadun] {title}", "body": body + "\n凭订单号和查询密码在「订单查询」页面查看。"}
        )


# 接单, delivery, milestones and the delivery deadline of manual services: kadun.orders.manual.
from kadun.orders.manual import order_accept, order_deliver, order_milestone, order_service_overdue  # noqa: E402,F401


# Expiry, confirmation, settlement and the refund hold: kadun.orders.release (one path for a
# person's request and the sweeper's batch).
from kadun.orders.release import (  # noqa: E402,F401
    KIND_AUTOCONFIRM,
    KIND_EXPIRE,
    KIND_SETTLE,
    order_autoconfirm,
    orders_autoconfirm_resume,
    order_confirm,
    order_expire,
    REFUNDED_LISTENERS,
    hold_register,
    order_held_by,
    refunded_listen,
    order_hold,
    order_settle,
    orders_autoconfirm,
    orders_expire,
    orders_settle,
)


def order_checkout_wallet(*, user, **order_fields):
    """平台余额 checkout, all or nothing: the order is created and paid from the buyer's wallet
    in one transaction, so a balance that doesn't cover it (spent by a concurrent checkout, say:
    the wallet's floored UPDATE is the guard) rolls the order back with the payment and raises
    WalletInsufficient. ``order_fields`` are ``order_create``'s. Returns the order and the
    payment's outcome (delivered, paid, or refunded when stock ran out)."""
    from kadun.core.errors import Forbidden
    from kadun.payments import providers
    from kadun.payments import services as payments

    if not user or not user.is_authenticated:
        raise Forbidden("wallet_needs_account", "登录后才能使用平台余额支付。")
    with transaction.atomic():
        order, _token, _pay_url = order_create(buyer=user, provider=providers.WALLET, **order_fields)
        outcome = payments.payment_pay_with_wallet(order=order, user=user)
    return order, outcome

