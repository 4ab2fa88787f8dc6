from kadun.notifications.models import Message, OutboxMessage


def messages_for(*, user):
    return Message.objects.filter(user=user)


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, dead=False).count()


UNREAD_SHOWN_UP_TO = 99


def unread_count(*, user) -> int:
    """How many in-site messages the user has not opened, up to 100 (shown as 99+): one query
    that reads at most 100 ids from the user's messages, never a count of them all."""
    return len(Message.objects.filter(user=user, read_at__isnull=True).values_list("pk", flat=True)[: UNREAD_SHOWN_UP_TO + 1])
