"""Public complaint (曝光) vocabulary: statuses, moderation reasons, what made an order eligible,
the public outcomes, and the public timeline's kinds. Labels are Chinese first (English in the
catalogue); codes are what the API and the evidence log carry."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已公开")
    REJECTED = "rejected", _("未通过审核")
    WITHDRAWN = "withdrawn", _("买家已撤回")


class ModerationReason(models.TextChoices):
    """The only reasons staff may reject or redact for. Being unfavourable to a merchant (or to
    the platform) is not one of them, and no code path accepts any other reason."""

    PERSONAL_DATA = "personal_data", _("含个人信息（姓名、电话、QQ、微信、地址、账号等）")
    INSULT = "insult", _("含辱骂或人身攻击")
    UNRELATED = "unrelated", _("与该订单无关")


# Redaction hides a part of a text: only personal data or insults are hidden, never a whole
# complaint for being unrelated (that is a rejection).
REDACT_REASONS = (ModerationReason.PERSONAL_DATA, ModerationReason.INSULT)
REDACTION_MARK = "［已隐藏］"
REDACTION_NOTICES = {
    ModerationReason.PERSONAL_DATA: _("部分内容因含个人信息已被隐藏"),
    ModerationReason.INSULT: _("部分内容因含辱骂或人身攻击已被隐藏"),
}


class Basis(models.TextChoices):
    """What happened on the order that lets its buyer publish."""

    DECISION = "decision", _("平台已裁决")
    MERCHANT_BREACH = "merchant_breach", _("商家违约")
    MERCHANT_SILENT = "merchant_silent", _("商家逾期未回复")
    PLATFORM_BREACH = "platform_breach", _("平台超过服务时限")


class PublicOutcome(models.TextChoices):
    REFUNDED = "refunded", _("已全额退款")
    PARTIALLY_REFUNDED = "partially_refunded", _("已部分退款")
    REFUNDED_BY_DEFAULT = "refunded_by_default", _("商家逾期，系统按规则退款")
    REPLACED = "replaced", _("已补发")
    REJECTED = "rejected", _("平台驳回买家诉求")
    RESOLVED = "resolved", _("平台已处理")
    NO_REMEDY = "no_remedy", _("未获赔付（撤回或逾期未跟进）")
    PENDING = "pending", _("尚未结案")


class Refunded(models.TextChoices):
    FULL = "full", _("全额")
    PARTIAL = "partial", _("部分")
    NONE = "none", _("未退款")


class Fault(models.TextChoices):
    MERCHANT = "merchant", _("商家责任")
    BUYER = "buyer", _("买家责任")
    NONE = "none", _("无责")
    UNKNOWN = "", _("未认定")


# The public timeline: only these kinds, each a fact the platform recorded (never free text).
TIMELINE_LABELS = {
    "refund_requested": _("买家申请退款"),
    "refund_refunded": _("退款申请：已退款"),
    "refund_partial": _("退款申请：商家部分退款"),
    "refund_rejected": _("退款申请：商家拒绝"),
    "refund_replaced": _("退款申请：商家已补发"),
    "refund_not_eligible": _("退款申请：不符合退款规则"),
    "refund_merchant_silent": _("商家逾期未处理退款申请，系统按规则退款"),
    "refund_replacement_broken": _("商家承诺补发逾期未兑现，系统退款"),
    "case_opened": _("买家提交售后工单"),
    "merchant_silent": _("商家逾期未回复，工单自动转平台介入"),
    "escalated": _("平台介入"),
    "offer": _("商家提出方案"),
    "offer_accepted": _("买家接受方案"),
    "offer_rejected": _("买家拒绝方案"),
    "evidence_missed": _("一方逾期未举证"),
    "decided": _("平台裁决"),
    "appealed": _("一方申诉"),
    "appeal_decided": _("申诉复核裁决"),
    "replacement_promise_broken": _("商家逾期未补发"),
    "platform_sla_breach": _("平台超过服务时限"),
    "case_closed": _("工单结案"),
    "merchant_breach": _("商家违约记录"),
}

BREACH_LABELS = {
    "refund_no_response": _("逾期未处理退款申请"),
    "replacement_promise_broken": _("承诺补发未兑现"),
    "service_overdue": _("未在期限内完成服务"),
    "off_platform": _("引导站外交易"),
}


def label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
