"""A complaint as people read it (the pages) and programs do (the API): the verified fields with
their labels and the evidence entries each cites, the statement as shown, the reply, the status.
A withdrawn complaint shows only the notice; a redacted text shows the redaction's notice."""
from __future__ import annotations

from django.utils.translation import gettext as _

from kadun.catalog.states import Category, Delivery
from kadun.evidence import complaints_facts as facts
from kadun.evidence import selectors_complaints as reads
from kadun.evidence.complaints_states import (
    BREACH_LABELS, REDACTION_NOTICES, TIMELINE_LABELS, Basis, ComplaintStatus, Fault, ModerationReason, PublicOutcome, Refunded, label,
)

S = ComplaintStatus


def _cites(ids) -> list[dict]:
    return [{"id": i, "url": reads.entry_url(i)} for i in ids or ()]


def fields(data: dict) -> list[dict]:
    """The verified fields as rows: name, label, value text, and the entries they cite."""
    cites = data.get("cites") or {}
    dates, decision = data.get("dates") or {}, data.get("decision") or {}
    refunded = label(Refunded, decision.get("refunded", ""))
    if decision.get("refunded_band"):
        refunded = f"{refunded}（{facts.band_label(decision['refunded_band'])}）"
    dash = "—"
    rows = [
        ("category", _("订单类别"), f"{label(Category, data.get('category', ''))} · {label(Delivery, data.get('delivery', ''))}"),
        ("amount_band", _("订单金额区间"), facts.band_label(data.get("amount_band", ""))),
        ("dates", _("日期"), _("下单 %(ordered)s · 反映问题 %(reported)s · 裁决 %(decided)s") % {
            "ordered": dates.get("ordered") or dash, "reported": dates.get("reported") or dash, "decided": dates.get("decided") or dash}),
        ("decision", _("处理结果"), _("%(outcome)s · %(fault)s · 退款：%(refunded)s") % {
            "outcome": label(PublicOutcome, decision.get("outcome", "")), "fault": label(Fault, decision.get("fault", "")), "refunded": refunded}),
    ]
    return [{"name": n, "label": lbl, "value": v, "cites": _cites(cites.get(n))} for n, lbl, v in rows]


def timeline(data: dict) -> list[dict]:
    out = []
    for item in data.get("timeline") or []:
        text = str(TIMELINE_LABELS.get(item["kind"], item["kind"]))
        if item.get("detail") and item["kind"] == "merchant_breach":
            text = f"{text}：{BREACH_LABELS.get(item['detail'], item['detail'])}"
        elif item.get("detail"):
            text = f"{text}（{label(PublicOutcome, item['detail'])}）"
        out.append({"date": item.get("date"), "kind": item["kind"], "text": text})
    return out


def _notice(reason: str) -> str:
    return str(REDACTION_NOTICES.get(reason, "")) if reason else ""


def present(complaint, *, role: str, reply=None) -> dict:
    """Everything a page or the API shows of ``complaint`` to a viewer of ``role``."""
    withdrawn = complaint.status == S.WITHDRAWN
    data = complaint.facts
    out = {
        "complaint_no": complaint.complaint_no, "status": complaint.status, "status_label": label(ComplaintStatus, complaint.status),
        "shop": {"id": complaint.shop_id, "name": complaint.shop.name}, "role": role,
        "created_at": complaint.created_at, "published_at": complaint.published_at, "withdrawn_at": complaint.withdrawn_at,
        "withdrawn": withdrawn, "facts_shown": not withdrawn,
    }
    if withdrawn:
        return {**out, "notice": _("买家已撤回这条曝光，原内容不再显示。")}
    entry_id = reads.publication_entry_id(complaint)
    out.update({
        "bases": [{"code": b, "label": label(Basis, b)} for b in data.get("bases", [])],
        "category": complaint.category, "outcome": complaint.outcome, "amount_band": complaint.amount_band,
        "fields": fields(data), "rules": data.get("rules") or [], "policy": data.get("policy") or {}, "timeline": timeline(data),
        "rules_cites": _cites((data.get("cites") or {}).get("rules")), "timeline_cites": _cites((data.get("cites") or {}).get("timeline")),
        "facts_hash": complaint.facts_hash, "statement": complaint.statement_shown, "redaction_notice": _notice(complaint.redaction_reason),
        "entry": {"id": entry_id, "url": reads.entry_url(entry_id)} if entry_id else None,
        "bundle_url": reads.bundle_url(complaint, role),
    })
    if reply is not None and complaint.status == S.PUBLISHED:
        out["reply"] = {"body": reply.body_shown, "created_at": reply.created_at, "redaction_notice": _notice(reply.redaction_reason)}
    else:
        out["reply"] = None
    if complaint.status == S.REJECTED and role != reads.PUBLIC:
        rejection = reads.rejection_of(complaint)
        if rejection is not None:
            out["rejection"] = {"reason": rejection.reason, "reason_label": label(ModerationReason, rejection.reason), "note": rejection.note}
    return out
