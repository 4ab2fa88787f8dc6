from django.db import models


class Reason(models.TextChoices):
    INVALID_KEY = "invalid_key", "卡密无效/已被使用"
    UNREVEALED = "unrevealed", "未查看-想退款"
    NOT_AS_DESCRIBED = "not_as_described", "与描述不符"
    NOT_DELIVERED = "not_delivered", "未发货/服务未完成"
    DUPLICATE = "duplicate", "重复购买"
    OTHER = "other", "其他"


class Outcome(models.TextChoices):
    APPROVE = "approve", "符合规则，立即退款"
    ASK_MERCHANT = "ask_merchant", "需商家处理"
    NOT_ELIGIBLE = "not_eligible", "不符合退款规则"


class RequestStatus(models.TextChoices):
    AWAITING_MERCHANT = "awaiting_merchant", "等待商家处理"
    AWAITING_REPLACEMENT = "awaiting_replacement", "商家承诺补发中"
    APPROVED = "approved", "已退款"
    APPROVED_BY_DEFAULT = "approved_by_default", "商家逾期未处理，已退款"
    PARTIALLY_APPROVED = "partially_approved", "已部分退款"
    REPLACED = "replaced", "已补发"
    BREACH_REFUNDED = "breach_refunded", "商家逾期未补发，已退款"
    REJECTED = "rejected", "商家已拒绝"
    NOT_ELIGIBLE = "not_eligible", "不符合退款规则"
    WITHDRAWN = "withdrawn", "买家已撤回"


OPEN = (RequestStatus.AWAITING_MERCHANT, RequestStatus.AWAITING_REPLACEMENT)


class MerchantAction(models.TextChoices):
    APPROVE = "approve", "同意全额退款"
    PARTIAL = "partial", "部分退款"
    REPLACE = "replace", "立即补发"
    PROMISE = "promise", "承诺限时补发"
    REJECT = "reject", "拒绝"
