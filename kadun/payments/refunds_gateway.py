"""A refund to the original payment at its gateway: the lifecycle after ``refund_issue`` wrote the
refund's row and its ledger entry.

    pending ──send──▶ succeeded
       │  └──accepted, later──▶ processing ──query──▶ succeeded
       │        (failed: attempts+1, retried with back-off)   │ (unknown at the gateway → pending)
       └──refused for good, or MAX_ATTEMPTS failures──▶ attention ──staff 重试──▶ pending
                                                          └──staff 已线下退款──▶ succeeded

Each step is one outbox message (topic ``provider_refund``): ``refund_step`` claims the refund
with a conditional UPDATE (status in the WHERE, and a due ``next_attempt_at``, which the claim
sets to a lease), calls the gateway outside any transaction, then applies the answer with a
second conditional UPDATE guarded by that lease, writes the ``RefundEvent`` and enqueues the
next step (a retry or a query, with its delay) in the same transaction. Of two messages for one
refund only one holds the lease, so only one calls the gateway; and the gateway refunds once per
``refund_no`` anyway (Alipay ``out_request_no``, WeChat ``out_refund_no``). A step lost with its
process is picked up by the ``refunds_overdue`` duty. The ledger never moves here: the money
left kadun when the refund was issued."""
from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from kadun.core import clock
from kadun.deadlines.registry import duty
from kadun.notifications.registry import sender
from kadun.notifications.selectors import outbox_live_count
from kadun.notifications.services import outbox_enqueue
from kadun.payments import providers
from kadun.payments.models import Refund, RefundEvent
from kadun.payments.providers.base import RefundAnswer, RefundRefused
from kadun.payments.states import RefundStatus as S

log = logging.getLogger("kadun.payments.refunds")
TOPIC = "provider_refund"
LEASE = dt.timedelta(minutes=2)
# Waits after the 1st, 2nd, … failed attempt; the last one repeats.
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6))
# A processing refund is asked about again after half its age (at least a minute, at most 6 hours).
QUERY_MIN, QUERY_MAX = dt.timedelta(minutes=1), dt.timedelta(hours=6)
PROCESSING_TOO_LONG = dt.timedelta(days=7)
OVERDUE = dt.timedelta(minutes=10)
_CODE_CHARS = re.compile(r"[^A-Za-z0-9._:\-]")


def max_attempts() -> int:
    return int(getattr(settings, "KADUN_REFUND_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> dt.timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _code(text: str) -> str:
    """An error code safe to store and show: letters, digits and ``._:-`` only, 80 at most."""
    return _CODE_CHARS.sub("_", text)[:80] or "unknown"


def enqueue(refund_id: int, *, delay: dt.timedelta | None = None) -> None:
    outbox_enqueue(topic=TOPIC, payload={"refund_id": refund_id}, delay=delay)


class RefundBusy(RuntimeError):
    """Another sender holds the refund's lease and this message is all that is left to drive it
    (that sender may have died): the outbox tries this message again after its back-off."""


@sender(TOPIC)
def _send_refund(payload: dict) -> None:
    refund_id = payload["refund_id"]
    if refund_step(refund_id=refund_id) != "noop":
        return
    leased = Refund.objects.filter(pk=refund_id, status__in=[S.PENDING, S.PROCESSING], next_attempt_at__gt=clock.now()).exists()
    if leased and live_messages(refund_id) <= 1:  # only this one: not a duplicate of a scheduled step
        raise RefundBusy(f"refund #{refund_id} is held by another sender")


def live_messages(refund_id: int) -> int:
    return outbox_live_count(topic=TOPIC, key="refund_id", value=refund_id)


def refund_step(*, refund_id: int) -> str:
    """One step of a pending or processing refund: send it, or ask about it. Returns the outcome
    (``succeeded``, ``processing``, ``failed``, ``attention``, ``unknown``, or ``noop`` when the
    refund is not due or another sender holds it)."""
    refund = _claim(refund_id)
    if refund is None:
        return "noop"
    impl = providers.registered(refund.payment.provider)
    try:
        answer = _ask(impl, refund) if refund.status == S.PROCESSING else _send(impl, refund)
    except RefundRefused as exc:
        return _failed(refund, _code(exc.code), definite=exc.definite)
    except Exception as exc:  # noqa: BLE001 — unreachable, an untrusted answer, a provider's bug: retried, then staff's
        return _failed(refund, _code(f"{refund.payment.provider}:{type(exc).__name__}"), definite=False)
    return _answered(refund, answer)


def _claim(refund_id: int) -> Refund | None:
    now = clock.now()
    claimed = Refund.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), pk=refund_id, status__in=[S.PENDING, S.PROCESSING],
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return Refund.objects.select_related("payment").get(pk=refund_id)


def _send(impl, refund: Refund) -> RefundAnswer:
    if hasattr(impl, "refund_send"):
        return impl.refund_send(refund=refund)
    return RefundAnswer("succeeded", impl.refund(refund=refund))  # a synchronous provider (the sandbox)


def _ask(impl, refund: Refund) -> RefundAnswer:
    if not hasattr(impl, "query_refund"):
        return RefundAnswer("processing", refund.provider_refund_no)
    return impl.query_refund(refund=refund)


def _move(refund: Refund, *, to: str, kind: str, code: str = "", actor=None, next_in: dt.timedelta | None = None,
          guard_lease: bool = True, **fields) -> bool:
    """The one transition: a conditional UPDATE (the status read, and the sender's lease), its
    event row, and the next step's message, in one transaction. False: someone else moved it."""
    now = clock.now()
    with transaction.atomic():
        rows = Refund.objects.filter(pk=refund.pk, status=refund.status)
        if guard_lease:
            rows = rows.filter(next_attempt_at=refund.next_attempt_at)
        moved = rows.update(status=to, next_attempt_at=now + next_in if next_in is not None else None, **fields)
        if not moved:
            return False
        if kind:
            RefundEvent.objects.create(refund=refund, kind=kind, from_status=refund.status, to_status=to, code=code, actor=actor, at=now)
        if next_in is not None:
            enqueue(refund.pk, delay=next_in)
    return True


def _answered(refund: Refund, answer: RefundAnswer) -> str:
    now = clock.now()
    number = answer.gateway_no or refund.provider_refund_no
    if answer.state == "succeeded":
        _move(refund, to=S.SUCCEEDED, kind="succeeded", provider_refund_no=number, completed_at=now, last_error="")
        return "succeeded"
    if answer.state == "unknown":  # never received: send it again (safe by refund_no)
        _move(refund, to=S.PENDING, kind="unknown", next_in=dt.timedelta(0))
        return "unknown"
    if now - refund.created_at > PROCESSING_TOO_LONG:
        _move(refund, to=S.ATTENTION, kind="attention", code="processing_too_long", last_error="processing_too_long")
        return "attention"
    wait = min(QUERY_MAX, max(QUERY_MIN, (now - refund.created_at) / 2))
    _move(refund, to=S.PROCESSING, kind="processing" if refund.status != S.PROCESSING else "", next_in=wait, provider_refund_no=number)
    return "processing"


def _failed(refund: Refund, code: str, *, definite: bool) -> str:
    attempts = refund.attempts + 1
    log.warning("refund %s attempt %s failed: %s", refund.refund_no, attempts, code)
    if definite or attempts >= max_attempts():
        _move(refund, to=S.ATTENTION, kind="attention", code=code, attempts=attempts, last_error=code)
        return "attention"
    _move(refund, to=refund.status, kind="failed", code=code, next_in=backoff(attempts), attempts=attempts, last_error=code)
    return "failed"


@duty
def refunds_overdue() -> int:
    """A step lost with its process (the sender died holding the lease, or its message was given
    up): refunds due more than OVERDUE ago with no message left to send them get one again."""
    cutoff = clock.now() - OVERDUE
    late = list(
        Refund.objects.filter(Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff),
                              status__in=[S.PENDING, S.PROCESSING]).values_list("pk", flat=True)[:50]
    )
    revived = 0
    for refund_id in late:
        if not live_messages(refund_id):
            with transaction.atomic():
                enqueue(refund_id)
            revived += 1
    return revived
