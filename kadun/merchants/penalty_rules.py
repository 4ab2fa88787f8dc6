"""处罚 vocabulary: the violation kinds with their written definitions (the rules page shows these
texts; the services apply the levels), statuses and levels."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PenaltyStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已驳回")
    OVERTURNED = "overturned", _("申诉成功已撤销")


class Level(models.TextChoices):
    WARNING = "warning", _("警告")
    BAN = "ban", _("封号")


# kind → (name, definition, gravest: bans at once). The order is the rules page's order.
VIOLATIONS = {
    "invalid_keys": (_("明知无效或转卖的卡密仍出售"), _("出售明知无效、已被使用或从他处转卖（一码多卖）的卡密或账号。"), False),
    "refund_refusal": (_("拒绝规则规定的退款"), _("买家依据订单冻结的退款规则应获退款，商家拒绝或拖延办理。"), False),
    "off_platform_lure": (_("多次引导站外交易"), _("在商品、发货说明、工单或留言中反复留下站外联系方式或引导站外付款。"), False),
    "missed_deadlines": (_("多次逾期未履约"), _("反复未在期限内完成服务、处理退款申请或兑现补发承诺。"), False),
    "fraud": (_("欺诈"), _("以虚假商品、虚假发货或其他手段骗取买家货款。"), True),
    "evidence_tampering": (_("篡改证据"), _("伪造、篡改或删除售后证据（聊天记录、截图、发货凭证等）。"), True),
    "running_away": (_("跑路"), _("收款后停止履约并失联，或转移资金逃避赔付。"), True),
}
GRAVEST = frozenset(k for k, (_n, _d, grave) in VIOLATIONS.items() if grave)

# Which breach kinds (merchants.Breach.kind) count toward which threshold (KADUN_PENALTY_THRESHOLDS).
BREACH_THRESHOLD_KIND = {
    "service_overdue": "missed_deadlines",
    "refund_no_response": "missed_deadlines",
    "replacement_promise_broken": "missed_deadlines",
    "off_platform_lure": "off_platform_lure",
}


def violation_name(kind: str) -> str:
    return str(VIOLATIONS[kind][0]) if kind in VIOLATIONS else kind
