"""Every kind of entry the log holds, with its Chinese label (bundles and dossiers show it).
docs/evidence.md, "What is logged", says what each body holds."""
from __future__ import annotations

KINDS: dict[str, str] = {
    # orders
    "order.placed": "下单（冻结退款规则）",
    "order.confirmation": "下单时买家确认",
    "order.created": "订单创建",
    "order.paid": "已支付",
    "order.paid_delivered": "已支付并自动发货",
    "order.accepted": "商家接单",
    "order.delivered": "商家发货",
    "order.milestone": "服务进度",
    "order.confirmed": "确认收货",
    "order.settled": "结算给商家",
    "order.expired": "订单关闭",
    "order.refunded": "全额退款",
    "order.partially_refunded": "部分退款",
    "order.refund_hold": "退款处理中",
    # payments
    "payment.notified": "支付通知",
    "refund.issued": "退款出账",
    # inventory
    "key.delivered": "卡密交付",
    "key.revealed": "查看卡密",
    "key.verified": "验货报告",
    # aftersales
    "refund.request": "退款申请（规则判定）",
    "refund.requested": "买家申请退款",
    "refund.evidence": "退款凭证",
    "refund.approve": "规则判定：同意",
    "refund.ask_merchant": "规则判定：待商家处理",
    "refund.not_eligible": "规则判定：不符合",
    "refund.approved": "商家同意退款",
    "refund.partially_approved": "商家同意部分退款",
    "refund.rejected": "商家拒绝退款",
    "refund.promised": "商家承诺补发",
    "refund.replaced": "已补发",
    "refund.withdrawn": "买家撤回",
    "refund.approved_by_default": "商家逾期，默认同意",
    "refund.breach_refunded": "承诺未兑现，自动退款",
    "refund.order_refunded": "订单已按规则退款",
    # cases
    "case.claim": "售后工单（买家主张）",
    "case.opened": "售后工单开启",
    "case.message": "工单消息",
    "case.attachment": "工单附件",
    "case.offer_made": "商家方案",
    "case.evidence_request": "平台要求举证",
    "case.decision": "平台裁决",
    "case.appeal_decision": "申诉裁决",
    # deadlines
    "deadline.fired": "时限到期执行",
    # reviews (评价)
    "review.written": "买家评价",
    "review.followup": "买家追评",
    "review.reply": "商家回复评价",
    "review.followup_reply": "商家回复追评",
    "review.hide": "平台隐藏评价",
    "review.unhide": "平台恢复显示评价",
    # accounts
    "account.anonymised": "账户注销（个人信息已清除）",
}

# Case events are logged as ``case.<event kind>`` (opened, escalated, decided, appealed,
# appeal_waived, decision_effective, sla_breach, closed …): their labels come from the case's
# own vocabulary, with this fallback.
PREFIX_LABELS = {"case.": "工单事件", "order.": "订单事件", "refund.": "退款申请事件"}


def label(kind: str) -> str:
    if kind in KINDS:
        return KINDS[kind]
    for prefix, text in PREFIX_LABELS.items():
        if kind.startswith(prefix):
            return f"{text}：{kind[len(prefix):]}"
    return kind
