from django.db import models


class OutboxMessage(models.Model):
    """A side effect (e-mail, webhook, gateway notification) written in the same transaction as
    the change that causes it and sent after commit by the outbox worker, with retries."""

    topic = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    dead = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="outbox_due", condition=models.Q(sent_at__isnull=True, dead=False))]


class Message(models.Model):
    """An in-site message (站内信) to a user."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="messages")
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class NotifyChannel(models.Model):
    """A place outside the site where a user's notifications also go: a Telegram bot, a 企业微信
    group robot, Bark, or a webhook. ``config`` holds what may be shown (a chat id, a Bark server,
    a webhook's origin, the masked ``summary``); the secrets (bot token, robot key, device key,
    webhook URL and signing secret) are ``secret_sealed``, a Fernet token under KADUN_CARD_KEYS."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notify_channels")
    kind = models.CharField(max_length=16)  # states.ChannelKind
    label = models.CharField(max_length=60)
    config = models.JSONField(default=dict)
    secret_sealed = models.TextField()
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)  # redacted

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "enabled"], name="notify_channel_user")]

    @property
    def summary(self) -> str:
        return self.config.get("summary", "")


class NotifyDelivery(models.Model):
    """One notification on its way to one place (e-mail or a channel): the delivery log. The
    outbox sender updates it on every attempt."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notify_deliveries")
    channel = models.ForeignKey(NotifyChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries")
    kind = models.CharField(max_length=16)  # states.DeliveryKind
    label = models.CharField(max_length=80, blank=True)  # the channel's label, or the masked address, when it was sent
    event = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120)
    outbox_message = models.ForeignKey(OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, default="pending")  # states.DeliveryStatus
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)  # redacted
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notify_delivery_user")]


class NotifyPreference(models.Model):
    """A user's choices about notifications; a user without a row gets the defaults."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, primary_key=True, related_name="notify_preference")
    email_enabled = models.BooleanField(default=True)
