"""The buyer's statement, drafted for them from the order's facts and the frozen clause that
applies (as the seeds advise: 订单号…，依据退款规则第N条…，申请全额退款); they edit it before sending."""
from __future__ import annotations

from kadun.aftersales import services as aftersales
from kadun.cases.states import KIND_REASON, CaseKind, Remedy
from kadun.core.money import fen_to_yuan

PROBLEM = {
    CaseKind.INQUIRY: "我想咨询：",
    CaseKind.REFUND_DISPUTE: "我与商家就退款未能达成一致。",
    CaseKind.KEY_PROBLEM: "收到的卡密无法使用（无效或已被使用）。",
    CaseKind.SERVICE_DISPUTE: "商家未按约定完成服务（代充/代练未完成或与约定不符）。",
    CaseKind.COMPLAINT: "我要投诉商家的服务行为：",
}
ASK = {
    Remedy.FULL_REFUND: "申请全额退款",
    Remedy.PARTIAL_REFUND: "申请部分退款",
    Remedy.REPLACEMENT: "申请补发",
}


def _clause_text(snapshot: dict, numbers) -> str:
    by_no = {c["no"]: c["text"] for c in snapshot.get("clauses", [])}
    cited = [n for n in numbers if n in by_no]
    if not cited:
        return ""
    first = by_no[cited[0]]
    short = first if len(first) <= 60 else first[:60] + "…"
    return f"依据退款规则{'、'.join(f'第{n}条' for n in cited)}（{short}），"


def statement_draft(*, order, kind: str, remedy: str = "", refund_request=None) -> str:
    """A first statement for the buyer to edit."""
    parts = [f"订单号 {order.order_no}（{order.title}，{fen_to_yuan(order.amount)} 元"]
    if order.paid_at:
        parts.append(f"，{order.paid_at:%Y-%m-%d %H:%M} UTC 支付")
    parts.append("）。")
    parts.append(PROBLEM.get(kind, ""))
    clauses = ()
    if refund_request is not None:
        clauses = tuple(refund_request.clauses or ())
        if refund_request.merchant_note:
            parts.append(f"商家答复：「{refund_request.merchant_note[:200]}」，我不同意。")
    elif kind in KIND_REASON and order.policy_snapshot:
        try:
            clauses = aftersales.refund_preview(order=order, reason=KIND_REASON[kind]).clauses
        except Exception:  # a draft is a help, never a reason to refuse the form
            clauses = ()
    if kind in KIND_REASON:
        parts.append(_clause_text(order.policy_snapshot or {}, clauses))
        parts.append(ASK.get(remedy or Remedy.FULL_REFUND, "申请全额退款") + "。")
    return "".join(parts)
