"""Order states and the allowed transitions."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    PAID = "paid", _("已支付，待商家接单")
    IN_SERVICE = "in_service", _("服务中")
    DELIVERED = "delivered", _("已发货，验货中")
    CONFIRMED = "confirmed", _("已确认收货")
    EXPIRED = "expired", _("已过期")
    REFUNDED = "refunded", _("已退款")


S = OrderStatus
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.DELIVERED, S.EXPIRED, S.REFUNDED},
    S.PAID: {S.IN_SERVICE, S.REFUNDED},  # a service is delivered only after 接单
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
    BUYER = "buyer", _("买家")
    GUEST = "guest", _("游客买家")
    MERCHANT = "merchant", _("商家")
    STAFF = "staff", _("平台")
    SYSTEM = "system", _("系统")
    GATEWAY = "gateway", _("支付网关")


EVENT_LABELS = {
    "created": _("下单"),
    "paid": _("已支付"),
    "payment_switched": _("更换支付方式"),
    "paid_delivered": _("已支付并自动发货"),
    "accepted": _("商家接单"),
    "delivered": _("商家发货"),
    "confirmed": _("确认收货"),
    "expired": _("订单关闭"),
    "refunded": _("全额退款"),
    "partially_refunded": _("部分退款"),
    "milestone": _("服务进度"),
    "refund_hold": _("退款处理中"),
    "settled": _("结算给商家"),
}


# --- the order's changes, each with every guard it depends on (kadun.core.transitions) --------
# The single path (a person's request) and the sweeper's batch path of a change apply the same
# one. Full refunds are not here: the refund's update also carries the amount guard and decides
# full vs. partial in SQL (orders.services.order_refund), from the states its caller names.
from kadun.core.transitions import Transition  # noqa: E402

PAY_DELIVER = Transition("paid_delivered", sources=(S.PENDING_PAYMENT,), to=S.DELIVERED)
PAY = Transition("paid", sources=(S.PENDING_PAYMENT,), to=S.PAID)
EXPIRE = Transition("expired", sources=(S.PENDING_PAYMENT,), to=S.EXPIRED)
# An open refund request (refund_hold) stops confirmation: escrow is never released under it.
CONFIRM = Transition("confirmed", sources=(S.DELIVERED,), to=S.CONFIRMED, guard={"refund_hold": False})
SETTLE = Transition("settled", sources=(S.CONFIRMED,), guard={"settled_at__isnull": True, "refund_hold": False})

# Where a full or partial refund may come from, by who asks.
REFUND_REQUEST_SOURCES = (S.PAID, S.IN_SERVICE, S.DELIVERED, S.CONFIRMED)  # a buyer's refund request
SERVICE_OVERDUE_SOURCES = (S.PAID, S.IN_SERVICE)  # the service deadline passed undelivered
LATE_PAYMENT_SOURCES = (S.EXPIRED,)  # paid after the order closed
UNFILLED_PAYMENT_SOURCES = (S.PENDING_PAYMENT,)  # paid, but the keys ran out
# Why the platform refunded an order by itself (``payments.Refund.reason``); refunds asked for by
# the buyer are ``refund_request:<reason>`` (see ``aftersales.states.refund_reason_label``).
REFUND_REASON_LABELS = {
    "late_payment": _("订单过期后才收到付款"),
    "out_of_stock": _("付款时库存已售罄"),
    "service_overdue": _("商家未在规定时限内完成服务"),
}


def _choice_label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def status_label(value: str) -> str:
    """An order status for people (the code itself if unknown)."""
    return _choice_label(OrderStatus, value) if value else ""


def actor_label(value: str) -> str:
    """Who did it: buyer / guest / merchant / staff / system / gateway, for people."""
    return _choice_label(Actor, value) if value else ""


def event_label(kind: str) -> str:
    """An order event kind for people (the code itself if unknown)."""
    return str(EVENT_LABELS.get(kind, kind))
