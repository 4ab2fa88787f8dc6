from kadun.notifications.models import Message, OutboxMessage


def messages_for(*, user):
    return Message.objects.filter(user=user)


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, dead=False).count()


def unread_count(*, user) -> int:
    """How many in-site messages the user has not opened: one COUNT on the user's index."""
    return Message.objects.filter(user=user, read_at__isnull=True).count()
