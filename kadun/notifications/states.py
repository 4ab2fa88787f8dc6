from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    """Where a user's notifications go besides 站内信 and e-mail."""

    TELEGRAM = "telegram", _("Telegram 机器人")
    WECOM = "wecom", _("企业微信群机器人")
    BARK = "bark", _("Bark")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryKind(models.TextChoices):
    EMAIL = "email", _("邮件")
    TELEGRAM = "telegram", _("Telegram 机器人")
    WECOM = "wecom", _("企业微信群机器人")
    BARK = "bark", _("Bark")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    """pending (waiting for the outbox) → sent; failed = the last attempt failed, another will
    follow; dead = given up after the outbox's last attempt; skipped = the channel was disabled
    or deleted before the message left."""

    PENDING = "pending", _("待发送")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("失败，将重试")
    DEAD = "dead", _("已放弃")
    SKIPPED = "skipped", _("未发送")


DELIVERY_BADGE = {"pending": "", "sent": "ok", "failed": "warn", "dead": "bad", "skipped": ""}
