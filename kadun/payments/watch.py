"""The payment watch: a lost gateway notification must be harmless.

Every payment at a gateway that can be asked (``Provider.query``) is watched from its creation:
a deadline (kind ``payment_watch``, one per payment) fires on a back-off from the payment's
creation (``AFTER_CREATION``, until 24 h) and, when the buyer says 我已支付, soon after that click
(``AFTER_CLICK``). The deadline's handler only enqueues an outbox message ``payment_query``: the
gateway is asked by the outbox sender, outside the sweeper's transaction and its locks. A
``paid`` answer is checked like a notification (amount to the 分, currency, shop) and credited
through the same path (``services._credit``); a gateway error, a ``pending`` or ``failed``
answer change nothing and the next check is scheduled. Never does a query mark a payment failed.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from kadun.core import clock
from kadun.core.errors import InvalidInput
from kadun.core.throttle import throttle
from kadun.deadlines.services import deadline_cancel, deadline_schedule, deadline_schedule_new
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.payments import providers
from kadun.payments.errors import BadNotification
from kadun.payments.models import Payment
from kadun.payments.providers.base import QueryResult
from kadun.payments.states import PaymentStatus

log = logging.getLogger("kadun.payments.watch")

KIND = "payment_watch"
TOPIC = "payment_query"
_m, _h = dt.timedelta(minutes=1), dt.timedelta(hours=1)
AFTER_CREATION = (2 * _m, 5 * _m, 10 * _m, 30 * _m, _h, 2 * _h, 4 * _h, 8 * _h, 16 * _h, 24 * _h)
AFTER_CLICK = (1 * _m, 3 * _m)
WATCHED_FOR = 24 * _h
CONFIRMING = 5 * _m  # how long the page shows 支付确认中 after a click (both quick checks made by then)
CLICK_RATE = "6/h"  # 我已支付 per order: each click costs at most two gateway queries
OPEN = (PaymentStatus.PENDING, PaymentStatus.FAILED)


def watched(payment: Payment) -> bool:
    """A payment at a gateway we can ask (not the wallet; not epusdt, which has no query API)."""
    impl = providers.registered(payment.provider)
    return getattr(impl, "queryable", True)


def next_check_at(payment: Payment, *, after: dt.datetime) -> dt.datetime | None:
    """The first check after ``after``: the creation back-off and the 我已支付 quick checks, never
    later than 24 h after creation. None: the watch is over."""
    times = [payment.created_at + d for d in AFTER_CREATION]
    if payment.buyer_says_paid_at is not None:
        times += [payment.buyer_says_paid_at + d for d in AFTER_CLICK]
    end = payment.created_at + WATCHED_FOR
    return min((t for t in times if after < t <= end), default=None)


def watch_start(payment: Payment) -> None:
    """A payment just created (in the caller's transaction): its first check (one INSERT)."""
    if watched(payment):
        deadline_schedule_new(kind=KIND, subject_id=payment.pk, due_at=payment.created_at + AFTER_CREATION[0])


def watch_schedule(payment: Payment, *, rearm: bool = False) -> dt.datetime | None:
    """Schedule the payment's next check (moving an unfired one; ``rearm`` also after it fired),
    in the caller's transaction. Returns when, or None when the watch is over."""
    if not watched(payment):
        return None
    at = next_check_at(payment, after=clock.now())
    if at is not None:
        deadline_schedule(kind=KIND, subject_id=payment.pk, due_at=at, rearm=rearm)
    return at


def watch_cancel(payment: Payment) -> None:
    """The payment is paid: its next check, if not yet fired, is dropped (in the credit's transaction)."""
    if watched(payment):
        deadline_cancel(kind=KIND, subject_id=payment.pk)


def watch_fire(payment_id: int) -> str:
    """The deadline's handler, in the sweeper's transaction: no gateway call here, only the
    outbox message whose sender makes it after commit."""
    if not Payment.objects.filter(pk=payment_id, status__in=OPEN).exists():
        return "noop"
    outbox_enqueue(topic=TOPIC, payload={"payment_id": payment_id})
    return "queued"


def _ask(payment: Payment) -> QueryResult | None:
    """The gateway's answer, or None when it could not be had (logged by kind, never its text:
    a gateway's error may quote our request)."""
    try:
        return providers.registered(payment.provider).query(payment=payment)
    except Exception as exc:  # any failure to ask is 'ask again later', never 'failed'
        log.warning("payment watch: %s query of %s failed: %s", payment.provider, payment.out_trade_no, type(exc).__name__)
        return None


@sender(TOPIC)
def _send_query(payload: dict) -> None:
    """Ask the gateway (no transaction open, no lock held), then apply its answer and schedule
    the next check in one short transaction."""
    payment = Payment.objects.filter(pk=payload["payment_id"]).first()
    if payment is None or payment.status not in OPEN:
        return
    answer = _ask(payment)
    with transaction.atomic():
        outcome = query_apply(payment, answer) if answer is not None and answer.status == "paid" else "pending"
        if outcome in ("pending", "failed"):
            payment.refresh_from_db(fields=["status", "buyer_says_paid_at"])
            if payment.status in OPEN:
                watch_schedule(payment, rearm=True)


def query_apply(payment: Payment, answer: QueryResult) -> str:
    """A gateway's ``paid`` answer to our query: checked against the payment as a notification is
    (amount, currency, shop), then credited by the notification's own path. A mismatch credits
    nothing and ends the watch (logged for staff: it will not fix itself)."""
    from kadun.payments.services import _credit, payment_check, payment_for_credit

    ours = payment_for_credit(provider=payment.provider, out_trade_no=payment.out_trade_no)
    try:
        payment_check(ours, amount=answer.amount, currency=answer.currency, merchant_no=answer.merchant_no)
    except BadNotification as exc:
        log.error("payment watch: %s answer for %s refused: %s", payment.provider, payment.out_trade_no, exc.code)
        return "mismatch"
    params = {"trade_no": answer.gateway_trade_no, "amount": str(answer.amount), "currency": answer.currency, "status": answer.status}
    return _credit(ours, gateway_trade_no=answer.gateway_trade_no, source="query", params=params)


def payment_buyer_says_paid(*, order) -> str:
    """我已支付: the buyer says they paid this pending order. Marks the payment
    (``buyer_says_paid_at``, guard in the WHERE) and moves its next check to a minute from now
    (then three). Rate-limited per order. Returns ``checking`` or ``already_paid``."""
    payment = Payment.objects.filter(order=order).order_by("-created_at", "-pk").first()
    if payment is None or not watched(payment):
        raise InvalidInput("payment_not_queryable", "该支付方式无法向支付平台查询，请等待支付结果通知。")
    if payment.status == PaymentStatus.SUCCEEDED:
        return "already_paid"
    throttle(group="payments.buyer_says_paid", key=str(payment.pk), rate=CLICK_RATE,
             message="操作太频繁：每个订单每小时最多提交 {limit} 次“我已支付”，请 {minutes} 分钟后再试。")
    now = clock.now()
    with transaction.atomic():
        if not Payment.objects.filter(pk=payment.pk, status__in=OPEN).update(buyer_says_paid_at=now):
            return "already_paid"
        payment.buyer_says_paid_at = now
        watch_schedule(payment, rearm=True)
    return "checking"
