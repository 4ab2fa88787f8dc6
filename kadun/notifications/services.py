"""The outbox: side effects are rows written inside the transaction and sent after commit."""
from __future__ import annotations

import datetime as dt
import logging
import threading

from django.core.mail import send_mail
from django.db import transaction

from kadun.core import clock
from kadun.notifications.models import Message, OutboxMessage
from kadun.notifications.registry import SENDERS, sender

log = logging.getLogger("kadun.outbox")
MAX_ATTEMPTS = 10
_wake = threading.Event()


def outbox_enqueue(*, topic: str, payload: dict, delay: dt.timedelta | None = None) -> OutboxMessage:
    """Write a side effect; it becomes visible to the worker only when the caller commits."""
    now = clock.now()
    message = OutboxMessage.objects.create(topic=topic, payload=payload, created_at=now, next_attempt_at=now + (delay or dt.timedelta(0)))
    transaction.on_commit(_wake.set)
    return message


def wait_for_work(timeout: float) -> None:
    _wake.wait(timeout)
    _wake.clear()


def outbox_deliver(*, batch: int = 50) -> int:
    """Send due messages. Each is claimed by a conditional update first, so two workers never send
    the same message at the same moment; a failure is retried with back-off."""
    now = clock.now()
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, dead=False, next_attempt_at__lte=now).order_by("id").values_list("id", flat=True)[:batch]
    )
    done = 0
    for message_id in ids:
        lease = now + dt.timedelta(seconds=60)
        claimed = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True, next_attempt_at__lte=now).update(next_attempt_at=lease)
        if not claimed:
            continue
        message = OutboxMessage.objects.get(pk=message_id)
        try:
            SENDERS[message.topic](message.payload)
        except Exception as exc:
            attempts = message.attempts + 1
            log.warning("outbox %s #%s failed (attempt %s): %s", message.topic, message.pk, attempts, type(exc).__name__)
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:300],
                next_attempt_at=clock.now() + dt.timedelta(seconds=min(3600, 2**attempts)),
                dead=attempts >= MAX_ATTEMPTS,
            )
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=clock.now(), attempts=message.attempts + 1)
            done += 1
    return done


def outbox_deliver_all(*, max_rounds: int = 100) -> int:
    total = 0
    for _ in range(max_rounds):
        sent = outbox_deliver()
        total += sent
        if not sent:
            break
    return total


def message_send(*, user_id: int, title: str, body: str = "", link: str = "") -> None:
    """An in-site message, written in the caller's transaction."""
    Message.objects.create(user_id=user_id, title=title[:120], body=body, link=link[:200], created_at=clock.now())


def messages_mark_read(*, user, message_ids: list[int]) -> int:
    """The user opened these messages (the inbox page showing them). Only the user's own, only
    once: the first opening's time is kept."""
    return Message.objects.filter(user=user, pk__in=message_ids, read_at__isnull=True).update(read_at=clock.now())


@sender("email")
def _send_email(payload: dict) -> None:
    send_mail(payload["subject"], payload["body"], None, [payload["to"]], fail_silently=False)
