from django.db import models


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待支付"
    SUCCEEDED = "succeeded", "已支付"
    FAILED = "failed", "支付失败"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "退款处理中"
    SUCCEEDED = "succeeded", "已退款"
