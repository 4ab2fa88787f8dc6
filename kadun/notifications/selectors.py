from kadun.notifications.models import Message, NotifyChannel, NotifyDelivery, NotifyPreference, OutboxMessage


def messages_for(*, user):
    return Message.objects.filter(user=user)


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, dead=False).count()


UNREAD_SHOWN_UP_TO = 99


def unread_count(*, user) -> int:
    """How many in-site messages the user has not opened, up to 100 (shown as 99+): one query
    that reads at most 100 ids from the user's messages, never a count of them all."""
    return len(Message.objects.filter(user=user, read_at__isnull=True).values_list("pk", flat=True)[: UNREAD_SHOWN_UP_TO + 1])


def channels_of(*, user) -> list[NotifyChannel]:
    """The user's own channels, oldest first; never their secrets (``secret_sealed`` is deferred)."""
    return list(NotifyChannel.objects.filter(user=user).defer("secret_sealed"))


DELIVERIES_SHOWN = 50


def deliveries_of(*, user, limit: int = DELIVERIES_SHOWN) -> list[NotifyDelivery]:
    """The user's latest deliveries (e-mails and channels), newest first."""
    return list(NotifyDelivery.objects.filter(user=user)[:limit])


def email_enabled(*, user) -> bool:
    return NotifyPreference.objects.filter(user=user).values_list("email_enabled", flat=True).first() is not False


def outbox_live_count(*, topic: str, key: str, value) -> int:
    """How many messages of ``topic`` with ``payload[key] == value`` are still to be sent (not
    sent, not given up): e.g. whether a refund's next step is already queued."""
    return OutboxMessage.objects.filter(topic=topic, sent_at__isnull=True, dead=False, **{f"payload__{key}": value}).count()
