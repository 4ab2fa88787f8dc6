from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    SUCCEEDED = "succeeded", _("已支付")
    FAILED = "failed", _("支付失败")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("退款处理中")
    SUCCEEDED = "succeeded", _("已退款")
