from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    SUCCEEDED = "succeeded", _("已支付")
    FAILED = "failed", _("支付失败")
    # A success for an order that already had a credited payment: never credited, refunded to its source.
    DUPLICATE = "duplicate", _("重复支付，已自动退款")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("退款处理中")
    SUCCEEDED = "succeeded", _("已退款")


class SandboxTradeStatus(models.TextChoices):
    """The sandbox gateway's own trade states. A failed attempt may be paid again until the
    trade's expiry (the order's); a paid trade is final."""

    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付失败")
