"""The outbox: side effects are rows written inside the transaction and sent after commit;
in-site messages; and ``notify``, which tells a user everywhere they asked to be told (站内信,
e-mail, their channels), written in the caller's transaction and sent by the outbox after
commit; and the channels a user sets up. The outbox sender of notifications is ``delivery``."""
from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from kadun.core import clock, sealed
from kadun.core.throttle import throttle
from kadun.notifications import channels
from kadun.notifications.errors import ChannelNotFound, TestRateLimited, TooManyChannels
from kadun.notifications.models import Message, NotifyChannel, NotifyDelivery, NotifyPreference, OutboxMessage
from kadun.notifications.registry import SENDERS, sender
from kadun.notifications.states import DeliveryKind, DeliveryStatus

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


def absolute_link(link: str) -> str:
    """A link for outside the site: a path made absolute from ``SITE_URL``."""
    if link.startswith("/") and not link.startswith("//"):
        return settings.SITE_URL.rstrip("/") + link
    if link.startswith(("https://", "http://")):
        return link
    return ""


def _event_code(event: str) -> str:
    return "".join(c for c in event if c.isascii() and (c.isalnum() or c in "_.:-"))[:40]


def notify(*, user_id: int, title: str, body: str = "", link: str = "", event: str = "") -> None:
    """Tell the user: always an in-site message; an e-mail if they have an address and have not
    turned e-mail off; one message per enabled channel. Written in the caller's transaction
    (nothing exists if it rolls back) and sent by the outbox after commit. ``link`` is a path
    on the site (``reverse(...)``); e-mails and channels get it absolute. ``event`` is a short
    code (``case_opened``) recorded in the delivery log and sent to webhooks."""
    message_send(user_id=user_id, title=title, body=body, link=link)
    deliveries_enqueue(user_id=user_id, title=title[:120], body=body, link=absolute_link(link), event=_event_code(event))


@sender("email")
def _send_email(payload: dict) -> None:
    send_mail(payload["subject"], payload["body"], None, [payload["to"]], fail_silently=False)


# --- notify: deliveries ---------------------------------------------------------------------

TOPIC_NOTIFY = "notify"


def _mask_address(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def _delivery(*, user_id: int, kind: str, label: str, title: str, body: str, link: str, event: str, channel_id=None, to: str = "") -> NotifyDelivery:
    delivery = NotifyDelivery.objects.create(
        user_id=user_id, channel_id=channel_id, kind=kind, label=label[:80], event=event, title=title, status=DeliveryStatus.PENDING,
        created_at=clock.now(),
    )
    payload = {"delivery_id": delivery.pk, "body": body, "link": link}
    if to:
        payload["to"] = to
    outbox = outbox_enqueue(topic=TOPIC_NOTIFY, payload=payload)
    NotifyDelivery.objects.filter(pk=delivery.pk).update(outbox_message=outbox)
    delivery.outbox_message = outbox
    return delivery


def deliveries_enqueue(*, user_id: int, title: str, body: str, link: str, event: str, channel_id: int | None = None) -> list[NotifyDelivery]:
    """The outbox rows of one notification: e-mail (when the user has an address and wants it)
    and each enabled channel, or only ``channel_id`` (a test message)."""
    out = []
    if channel_id is None:
        email, email_on = get_user_model().objects.filter(pk=user_id).values_list("email", "notify_preference__email_enabled").get()
        if email and email_on is not False:
            label = _mask_address(email)
            out.append(_delivery(user_id=user_id, kind=DeliveryKind.EMAIL, label=label, title=title, body=body, link=link, event=event, to=email))
    found = NotifyChannel.objects.filter(user_id=user_id, enabled=True)
    if channel_id is not None:
        found = found.filter(pk=channel_id)
    for channel in found.only("id", "kind", "label"):
        out.append(_delivery(user_id=user_id, kind=channel.kind, label=channel.label, title=title, body=body, link=link, event=event, channel_id=channel.pk))
    return out


# --- the channels a user sets up --------------------------------------------------------------


def channel_create(*, user, kind: str, label: str = "", data: dict) -> tuple[NotifyChannel, str | None]:
    """A new enabled channel of ``kind`` from the fields a person gave (``channels.FIELDS``), or
    InvalidChannel (nothing stored). Returns the channel and, when the platform generated a
    webhook's signing secret, that secret — to show once; it is never shown again."""
    shown, secret = channels.config_clean(kind, data)
    label = channels.label_clean(label, kind)
    generated = secret["secret"] if shown.pop("generated", False) else None
    with transaction.atomic():
        # The user's row is the lock: two creations at once cannot both pass the limit.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").get()
        if NotifyChannel.objects.filter(user=user).count() >= settings.KADUN_NOTIFY_CHANNELS_MAX:
            raise TooManyChannels()
        channel = NotifyChannel.objects.create(
            user=user, kind=kind, label=label, config=shown, secret_sealed=sealed.seal(secret), enabled=True, created_at=clock.now(),
        )
    return channel, generated


def _own(user, channel_id) -> NotifyChannel:
    channel = NotifyChannel.objects.filter(user=user, pk=channel_id).first() if isinstance(channel_id, int) else None
    if channel is None:
        raise ChannelNotFound()
    return channel


def channel_delete(*, user, channel_id: int) -> None:
    """Remove one of the user's channels (another user's: ChannelNotFound). Its deliveries stay in
    the log; any still waiting are not sent."""
    if not NotifyChannel.objects.filter(user=user, pk=channel_id).delete()[0]:
        raise ChannelNotFound()


def channel_set_enabled(*, user, channel_id: int, enabled: bool) -> NotifyChannel:
    channel = _own(user, channel_id)
    NotifyChannel.objects.filter(pk=channel.pk, user=user).update(enabled=bool(enabled))
    channel.enabled = bool(enabled)
    return channel


def channel_test(*, user, channel_id: int) -> NotifyDelivery:
    """A test message through one channel (enabled or not), sent by the outbox like any other;
    limited to ``KADUN_NOTIFY_TESTS_PER_HOUR`` per user."""
    channel = _own(user, channel_id)
    throttle(group="notify_test", key=f"user:{user.pk}", rate=f"{settings.KADUN_NOTIFY_TESTS_PER_HOUR}/h", message=TestRateLimited.message)
    with transaction.atomic():
        delivery = _delivery(
            user_id=user.pk, kind=channel.kind, label=channel.label, title="卡盾 kadun 测试消息",
            body="这是一条测试消息：收到它说明通知渠道设置正确。", link=absolute_link("/account/notifications/"), event="test", channel_id=channel.pk,
        )
    return delivery


def email_set_enabled(*, user, enabled: bool) -> None:
    NotifyPreference.objects.update_or_create(user=user, defaults={"email_enabled": bool(enabled)})


def channels_rotate() -> int:
    """Re-seal every channel's secrets under the first key of KADUN_CARD_KEYS (``kadun rotate-keys``)."""
    done = 0
    for channel in NotifyChannel.objects.only("id", "secret_sealed").iterator():
        NotifyChannel.objects.filter(pk=channel.pk, secret_sealed=channel.secret_sealed).update(secret_sealed=sealed.reseal(channel.secret_sealed))
        done += 1
    return done
