from kadun.notifications.models import Message, OutboxMessage


def messages_for(*, user):
    return Message.objects.filter(user=user)


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, dead=False).count()
