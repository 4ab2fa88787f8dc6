from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    SUCCEEDED = "succeeded", _("已支付")
    FAILED = "failed", _("支付失败")
    # A success for an order that already had a credited payment: never credited, refunded to its source.
    DUPLICATE = "duplicate", _("重复支付，已自动退款")


class RefundStatus(models.TextChoices):
    """A refund to the original payment: ``pending`` (queued, or waiting for its next attempt),
    ``processing`` (the gateway accepted it and finishes it later), ``succeeded``, or
    ``attention`` (refused for good or too often: staff retry it or refund by hand). A refund to
    the wallet is ``succeeded`` at once."""

    PENDING = "pending", _("退款处理中")
    PROCESSING = "processing", _("退款处理中（渠道受理）")
    SUCCEEDED = "succeeded", _("已退款")
    ATTENTION = "attention", _("需人工处理")


# What the buyer is shown of a refund's status (the staff's words stay on the staff page).
REFUND_BUYER_LABELS = {
    "pending": _("退款处理中"),
    "processing": _("退款处理中"),
    "succeeded": _("已退款"),
    "attention": _("退款受阻，平台处理中"),
}


class SandboxTradeStatus(models.TextChoices):
    """The sandbox gateway's own trade states. A failed attempt may be paid again until the
    trade's expiry (the order's); a paid trade is final."""

    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付失败")
