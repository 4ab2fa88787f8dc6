"""Order states and the allowed transitions."""
from django.db import models


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "待支付"
    PAID = "paid", "已支付，待商家接单"
    IN_SERVICE = "in_service", "服务中"
    DELIVERED = "delivered", "已发货，验货中"
    CONFIRMED = "confirmed", "已确认收货"
    EXPIRED = "expired", "已过期"
    REFUNDED = "refunded", "已退款"


S = OrderStatus
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.DELIVERED, S.EXPIRED, S.REFUNDED},
    S.PAID: {S.IN_SERVICE, S.DELIVERED, S.REFUNDED},
    S.IN_SERVICE: {S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.CONFIRMED, S.REFUNDED},
    S.EXPIRED: {S.REFUNDED},
    S.CONFIRMED: {S.REFUNDED},
    S.REFUNDED: set(),
}


def sources_of(target: str) -> list[str]:
    return [src for src, targets in TRANSITIONS.items() if target in targets]


# States in which the buyer's money sits in escrow.
HELD = {S.PAID, S.IN_SERVICE, S.DELIVERED}


class Actor(models.TextChoices):
    BUYER = "buyer", "买家"
    GUEST = "guest", "游客买家"
    MERCHANT = "merchant", "商家"
    STAFF = "staff", "平台"
    SYSTEM = "system", "系统"
    GATEWAY = "gateway", "支付网关"


EVENT_LABELS = {
    "created": "下单",
    "paid": "已支付",
    "paid_delivered": "已支付并自动发货",
    "accepted": "商家接单",
    "delivered": "商家发货",
    "confirmed": "确认收货",
    "expired": "订单关闭",
    "refunded": "全额退款",
    "partially_refunded": "部分退款",
    "milestone": "服务进度",
    "refund_hold": "退款处理中",
    "settled": "结算给商家",
}
