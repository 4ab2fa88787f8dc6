"""The outbox sender of ``notify``: one delivery (an e-mail, or one channel) per outbox row.

Each attempt updates the delivery log: sent, or failed with the redacted error and the attempt
number — dead at the outbox's last attempt (``services.MAX_ATTEMPTS``) — and the channel's
``last_ok_at`` / ``last_error``. A failure raises, so the outbox retries with back-off. A
delivery whose channel was disabled or deleted before it left is ``skipped``; one already sent
is not sent again (a worker that died after sending, before the outbox noted it).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

from kadun.core import clock, sealed
from kadun.notifications import senders
from kadun.notifications.models import NotifyChannel, NotifyDelivery, OutboxMessage
from kadun.notifications.registry import sender
from kadun.notifications.services import MAX_ATTEMPTS, TOPIC_NOTIFY
from kadun.notifications.states import DeliveryKind, DeliveryStatus

log = logging.getLogger("kadun.notify")
DONE = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.DEAD)


def email_text(note: senders.Note) -> str:
    lines = [note.title, ""]
    if note.body:
        lines += [note.body, ""]
    if note.link:
        lines += [f"查看：{note.link}", ""]
    site = settings.SITE_URL.rstrip("/")
    lines.append(f"— 卡盾 kadun · 不想收到邮件通知？在 {site}/account/notifications/ 关闭。")
    return "\n".join(lines)


def _send_email(to: str, note: senders.Note) -> None:
    try:
        send_mail(f"[卡盾] {note.title}", email_text(note), None, [to], fail_silently=False)
    except Exception as exc:  # SMTP refusals and connection errors: retried; no password in them
        raise senders.DeliveryFailed(f"email: {type(exc).__name__}: {exc}"[:300]) from None


def _attempt_number(delivery: NotifyDelivery) -> int:
    tried = OutboxMessage.objects.filter(pk=delivery.outbox_message_id).values_list("attempts", flat=True).first()
    return (tried if tried is not None else delivery.attempts) + 1


def _send(delivery: NotifyDelivery, payload: dict, note: senders.Note) -> bool:
    """Send; False when the channel is gone or disabled (nothing sent)."""
    if delivery.kind == DeliveryKind.EMAIL:
        _send_email(payload["to"], note)
        return True
    channel = NotifyChannel.objects.filter(pk=delivery.channel_id).first() if delivery.channel_id else None
    if channel is None or (not channel.enabled and delivery.event != "test"):
        return False
    senders.send(channel.kind, channel.config, sealed.unseal(channel.secret_sealed), note)
    return True


@sender(TOPIC_NOTIFY)
def deliver(payload: dict) -> None:
    delivery = NotifyDelivery.objects.filter(pk=payload["delivery_id"]).first()
    if delivery is None or delivery.status in DONE:
        return
    attempt = _attempt_number(delivery)
    note = senders.Note(event=delivery.event, title=delivery.title, body=payload.get("body", ""), link=payload.get("link", ""), delivery_id=delivery.pk)
    now = clock.now()
    try:
        sent = _send(delivery, payload, note)
    except senders.DeliveryFailed as exc:
        error = str(exc)[:300]
        status = DeliveryStatus.DEAD if attempt >= MAX_ATTEMPTS else DeliveryStatus.FAILED
        NotifyDelivery.objects.filter(pk=delivery.pk).update(status=status, attempts=attempt, last_error=error)
        if delivery.channel_id:
            NotifyChannel.objects.filter(pk=delivery.channel_id).update(last_error=error)
        log.warning("notify delivery #%s (%s) failed, attempt %s: %s", delivery.pk, delivery.kind, attempt, error)
        raise
    if not sent:
        NotifyDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SKIPPED, attempts=attempt, last_error="")
        return
    NotifyDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, attempts=attempt, last_error="", sent_at=now)
    if delivery.channel_id:
        NotifyChannel.objects.filter(pk=delivery.channel_id).update(last_ok_at=now, last_error="")
