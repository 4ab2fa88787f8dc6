from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kadun.orders.states import REFUND_REASON_LABELS


class Reason(models.TextChoices):
    INVALID_KEY = "invalid_key", _("卡密无效/已被使用")
    UNREVEALED = "unrevealed", _("未查看-想退款")
    NOT_AS_DESCRIBED = "not_as_described", _("与描述不符")
    NOT_DELIVERED = "not_delivered", _("未发货/服务未完成")
    DUPLICATE = "duplicate", _("重复购买")
    OTHER = "other", _("其他")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("符合规则，立即退款")
    ASK_MERCHANT = "ask_merchant", _("需商家处理")
    NOT_ELIGIBLE = "not_eligible", _("不符合退款规则")


class RequestStatus(models.TextChoices):
    AWAITING_MERCHANT = "awaiting_merchant", _("等待商家处理")
    AWAITING_REPLACEMENT = "awaiting_replacement", _("商家承诺补发中")
    APPROVED = "approved", _("已退款")
    APPROVED_BY_DEFAULT = "approved_by_default", _("商家逾期未处理，已退款")
    PARTIALLY_APPROVED = "partially_approved", _("已部分退款")
    REPLACED = "replaced", _("已补发")
    BREACH_REFUNDED = "breach_refunded", _("商家逾期未补发，已退款")
    REJECTED = "rejected", _("商家已拒绝")
    NOT_ELIGIBLE = "not_eligible", _("不符合退款规则")
    WITHDRAWN = "withdrawn", _("买家已撤回")
    ORDER_REFUNDED = "order_refunded", _("订单已按规则全额退款")
    # 用后退款防护: a silent merchant's default on a buyer with a 「高风险退款记录」 (docs/refunds.md).
    PLATFORM_REVIEW = "platform_review", _("商家逾期未处理，已转平台审核")


OPEN = (RequestStatus.AWAITING_MERCHANT, RequestStatus.AWAITING_REPLACEMENT)
# Answered by the merchant against (part of) the buyer's claim: what 申请平台介入 escalates.
ANSWERED = (RequestStatus.REJECTED, RequestStatus.PARTIALLY_APPROVED)


class MerchantAction(models.TextChoices):
    APPROVE = "approve", _("同意全额退款")
    PARTIAL = "partial", _("部分退款")
    REPLACE = "replace", _("立即补发")
    PROMISE = "promise", _("承诺限时补发")
    REJECT = "reject", _("拒绝")


def reason_label(value: str) -> str:
    """A refund request's reason for people (the code itself if unknown)."""
    try:
        return str(Reason(value).label)
    except ValueError:
        return value


def refund_reason_label(code: str) -> str:
    """Why a refund (``payments.Refund.reason``, also the ledger entry's memo) was paid:
    ``refund_request:<reason>`` for a buyer's request, else the platform's own reasons."""
    if code.startswith("refund_request:"):
        return gettext("退款申请：%(reason)s") % {"reason": reason_label(code.split(":", 1)[1])}
    return str(REFUND_REASON_LABELS.get(code, code))
