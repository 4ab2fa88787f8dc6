"""Case (售后工单) vocabulary: kinds, stages, remedies, and which stage waits on whom."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    INQUIRY = "inquiry", _("咨询")
    REFUND_DISPUTE = "refund_dispute", _("退款纠纷")
    KEY_PROBLEM = "key_problem", _("卡密问题")
    SERVICE_DISPUTE = "service_dispute", _("服务纠纷")
    COMPLAINT = "complaint", _("投诉商家")


class CaseStatus(models.TextChoices):
    AWAITING_MERCHANT = "awaiting_merchant", _("等待商家回复")
    NEGOTIATING = "negotiating", _("协商中")
    PLATFORM_REVIEW = "platform_review", _("平台介入")
    DECIDED = "decided", _("已裁决（申诉期）")
    APPEALED = "appealed", _("申诉复核中")
    AWAITING_REPLACEMENT = "awaiting_replacement", _("等待商家补发")
    CLOSED = "closed", _("已结案")


S = CaseStatus
OPEN = (S.AWAITING_MERCHANT, S.NEGOTIATING, S.PLATFORM_REVIEW, S.DECIDED, S.APPEALED, S.AWAITING_REPLACEMENT)
# Stages in which the platform's staff hold the case (their SLA runs).
WITH_PLATFORM = (S.PLATFORM_REVIEW, S.APPEALED)


class Remedy(models.TextChoices):
    FULL_REFUND = "full_refund", _("全额退款")
    PARTIAL_REFUND = "partial_refund", _("部分退款")
    REPLACEMENT = "replacement", _("补发/重新服务")
    REJECTED = "rejected", _("驳回")


class Outcome(models.TextChoices):
    """How a case ended (``Case.outcome``)."""

    REFUNDED = "refunded", _("已退款")
    PARTIALLY_REFUNDED = "partially_refunded", _("已部分退款")
    REPLACED = "replaced", _("已补发")
    REJECTED = "rejected", _("已驳回")
    RESOLVED = "resolved", _("已解决")
    WITHDRAWN = "withdrawn", _("买家撤回")
    LAPSED = "lapsed", _("买家逾期未跟进，按商家意见结案")
    ORDER_REFUNDED = "order_refunded", _("订单已全额退款")


class Fault(models.TextChoices):
    MERCHANT = "merchant", _("商家责任")
    BUYER = "buyer", _("买家责任")
    NONE = "none", _("无责")


class Party(models.TextChoices):
    BUYER = "buyer", _("买家")
    MERCHANT = "merchant", _("商家")
    STAFF = "staff", _("平台")
    SYSTEM = "system", _("系统")


class OfferStatus(models.TextChoices):
    OPEN = "open", _("待买家答复")
    ACCEPTED = "accepted", _("买家已接受")
    ACCEPTED_BY_DEFAULT = "accepted_by_default", _("买家逾期未答复，视为接受")
    REJECTED = "rejected", _("买家已拒绝")
    WITHDRAWN = "withdrawn", _("已失效")


class EvidenceRequestStatus(models.TextChoices):
    OPEN = "open", _("待提交")
    ANSWERED = "answered", _("已提交")
    MISSED = "missed", _("逾期未提交")


class Priority(models.TextChoices):
    NORMAL = "normal", _("普通")
    HIGH = "high", _("紧急")


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("首次响应")
    RESOLUTION = "resolution", _("给出处理方案")


# The stepper on the order and case pages.
STEPS = (
    ("submitted", _("已提交")),
    ("merchant", _("商家处理中")),
    ("platform", _("平台介入")),
    ("decided", _("已裁决")),
    ("done", _("已完结")),
)

# Kinds that start with the platform (a question to the platform, a complaint about conduct);
# the disputes start with the merchant.
STARTS_WITH_PLATFORM = (CaseKind.INQUIRY, CaseKind.COMPLAINT)
# Kinds whose remedy moves money or keys (offers, decisions with a remedy).
MONEY_KINDS = (CaseKind.REFUND_DISPUTE, CaseKind.KEY_PROBLEM, CaseKind.SERVICE_DISPUTE)
# Kind → the refund-request reason the frozen rules are read with.
KIND_REASON = {
    CaseKind.REFUND_DISPUTE: "other",
    CaseKind.KEY_PROBLEM: "invalid_key",
    CaseKind.SERVICE_DISPUTE: "not_delivered",
}


def label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
