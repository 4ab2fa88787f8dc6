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
