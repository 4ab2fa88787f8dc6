"""What the pages show of cases, read for them: the case box and order chat that the buyer's order
page (kadun.web) and the merchant's order page (kadun.merchants) include as
``cases/_order_panel.html`` (context ``order_panel``), and the case page (``case_context``).
Reads only; who the viewer is was settled by ``orders.selectors.order_access``."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kadun.aftersales import selectors as refund_reads
from kadun.aftersales.states import ANSWERED
from kadun.cases import draft, negotiation, records, selectors
from kadun.cases.states import (
    MONEY_KINDS, OPEN, STARTS_WITH_PLATFORM, CaseKind, CaseStatus, EvidenceRequestStatus, Fault, OfferStatus, Outcome, Party, Remedy, label,
)
from kadun.core import clock
from kadun.orders.selectors import BUYER, MERCHANT
from kadun.cases.services import CASE_SOURCES
from kadun.orders.states import OrderStatus

S = CaseStatus
# Where a refused chat message waits for the order page to show it beside the form (PRG).
CHAT_ERROR = "kadun_case_chat_error"
PARTY_LABELS = {Party.BUYER: _("买家"), Party.MERCHANT: _("商家"), Party.STAFF: _("平台"), Party.SYSTEM: _("系统")}
KIND_HELP = {
    CaseKind.INQUIRY: _("向平台咨询订单或规则问题，不涉及退款，由平台客服直接答复。"),
    CaseKind.REFUND_DISPUTE: _("与商家就退款没有谈拢（如商品与描述不符），先由商家处理，可申请平台介入。"),
    CaseKind.KEY_PROBLEM: _("卡密无效、已被使用或无法兑换，先由商家处理（退款或补发），可申请平台介入。"),
    CaseKind.SERVICE_DISPUTE: _("代充、代练等服务未完成或与约定不符，先由商家处理，可申请平台介入。"),
    CaseKind.COMPLAINT: _("投诉商家的服务或违规行为（如引导站外交易），由平台处理，不涉及退款。"),
}
REMEDY_HELP = {
    Remedy.FULL_REFUND: _("退回订单剩余可退的全部金额"),
    Remedy.PARTIAL_REFUND: _("退回填写的金额"),
}


def clock_text(seconds: int) -> str:
    """As kadun.js counts: 47:59:59, or 05:09 under an hour."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def countdown(deadline: dt.datetime | None) -> dict | None:
    if deadline is None:
        return None
    seconds = max(0, int((deadline - clock.now()).total_seconds()))
    return {"at": deadline, "seconds": seconds, "text": clock_text(seconds)}


def kinds_for(order) -> list[dict]:
    """The kinds a buyer may open on this order: a key problem for keys, a service dispute for a
    service; no money kind once the order is refunded in full."""
    out = []
    for kind in CaseKind:
        if kind == CaseKind.KEY_PROBLEM and not order.is_auto or kind == CaseKind.SERVICE_DISPUTE and order.is_auto:
            continue
        if kind in MONEY_KINDS and order.status == OrderStatus.REFUNDED:
            continue
        out.append({"value": kind.value, "label": kind.label, "help": KIND_HELP[kind], "money": kind in MONEY_KINDS})
    return out


def remedies_for(order) -> list[dict]:
    words = {Remedy.REPLACEMENT: _("补发") if order.is_auto else _("重新服务")}
    helps = {**REMEDY_HELP, Remedy.REPLACEMENT: _("补发新卡密，原卡密作废") if order.is_auto else _("商家重新完成服务")}
    return [{"value": r.value, "label": words.get(r, r.label), "help": helps[r]}
            for r in (Remedy.FULL_REFUND, Remedy.PARTIAL_REFUND, Remedy.REPLACEMENT)]


# What the awaited side must do before the deadline, around the live countdown (``%(t)s``).
WAIT_PHRASES = {
    records.KIND_MERCHANT: _("商家需在 %(t)s 内回复"),
    records.KIND_FOLLOWUP: _("买家需在 %(t)s 内回应或申请平台介入"),
    records.KIND_OFFER: _("买家需在 %(t)s 内答复商家的方案"),
    records.KIND_EVIDENCE: _("%(who)s需在 %(t)s 内提交平台要求的证据"),
    records.KIND_EFFECTIVE: _("申诉期还剩 %(t)s，期间双方可申诉或放弃申诉"),
    records.KIND_REPLACEMENT: _("商家需在 %(t)s 内完成补发"),
}


def wait_phrase(case) -> tuple[str, str] | None:
    """The phrase before and after the countdown: 「商家需在 」 … 「 内回复」."""
    phrase = WAIT_PHRASES.get(case.deadline_kind)
    if phrase is None or case.deadline_at is None:
        return None
    text = str(phrase) % {"t": "\x00", "who": PARTY_LABELS.get(case.awaiting, "")}
    before, _sep, after = text.partition("\x00")
    return before, after


def progress_box(case) -> dict:
    """The stepper, who is awaited for what, the live countdown and the written default outcome."""
    progress = selectors.progress(case)
    steps = progress["steps"]
    if case.status != S.CLOSED:
        steps[-1]["label"] = str(_("等待补发")) if case.status == S.AWAITING_REPLACEMENT else (
            str(_("已退款 / 已补发 / 已驳回")) if case.kind in MONEY_KINDS else str(_("已解决")))
    if case.kind in STARTS_WITH_PLATFORM and steps[1]["state"] == "done":
        steps[1]["state"] = "skipped"  # an inquiry or a complaint goes to the platform, not the merchant
    outcome_ok = case.outcome in (Outcome.REFUNDED, Outcome.PARTIALLY_REFUNDED, Outcome.REPLACED, Outcome.RESOLVED, Outcome.ORDER_REFUNDED)
    return {
        **progress,
        "countdown": countdown(case.deadline_at),
        "awaiting_label": PARTY_LABELS.get(case.awaiting, ""),
        "wait": wait_phrase(case) if case.status != S.CLOSED else None,
        "with_platform": case.status != S.CLOSED and case.awaiting == Party.STAFF,
        "outcome_label": label(Outcome, case.outcome) if case.outcome else "",
        "outcome_badge": "ok" if outcome_ok else ("bad" if case.outcome == Outcome.REJECTED else ""),
    }


def may_open(order, role: str, *, open_case, refund_requests) -> bool:
    if role != BUYER or open_case is not None or order.status not in CASE_SOURCES:
        return False
    if any(r.is_open for r in refund_requests):
        return False  # the merchant answers the request first; a rejection can go to the platform
    if order.status == OrderStatus.CONFIRMED and order.confirmed_at:
        if clock.now() > order.confirmed_at + dt.timedelta(days=settings.KADUN_CASE_OPEN_DAYS_AFTER_CONFIRM):
            return False
    return True


def escalation_kind(reason: str) -> str:
    """The kind ``services.case_escalate_request`` opens for a request of this reason."""
    return {"invalid_key": CaseKind.KEY_PROBLEM, "not_delivered": CaseKind.SERVICE_DISPUTE}.get(reason, CaseKind.REFUND_DISPUTE)


def escalations(order, role: str, *, open_case, refund_requests, cases) -> list[dict]:
    """Refund requests the merchant rejected or approved in part, not yet taken to the platform:
    each with the statement drafted for 申请平台介入."""
    if role != BUYER or open_case is not None:
        return []
    escalated = {c.refund_request_id for c in cases if c.refund_request_id}
    return [
        {"request": r, "request_no": r.request_no,
         "statement": draft.statement_draft(order=order, kind=escalation_kind(r.reason), remedy=Remedy.FULL_REFUND, refund_request=r)}
        for r in refund_requests if r.status in ANSWERED and r.pk not in escalated
    ]


def thread_rows(order, role: str) -> list:
    messages = selectors.thread(order, role=role)
    for message in messages:
        message.party_label = PARTY_LABELS.get(message.party, message.party)
        message.mine = message.party == role
    return messages


def order_panel(request, order, role: str, *, refund_requests=None) -> dict:
    """The order page's part of cases: the open case's box (stepper, countdown, link), or the
    order chat and 申请售后; 申请平台介入 on answered refund requests; the order's past cases."""
    if refund_requests is None:
        refund_requests = list(refund_reads.requests_of_order(order))
    cases = list(selectors.cases_of_order(order))
    open_case = next((c for c in cases if c.status in OPEN), None)
    chat_error = None
    pending = request.session.get(CHAT_ERROR)
    if pending and pending.get("order") == order.order_no:
        chat_error = request.session.pop(CHAT_ERROR)
    return {"order_panel": {
        "role": role,
        "open_case": open_case,
        "progress": progress_box(open_case) if open_case else None,
        "past_cases": [{"case": c, "outcome": label(Outcome, c.outcome) if c.outcome else ""} for c in cases if c is not open_case],
        "can_open": may_open(order, role, open_case=open_case, refund_requests=refund_requests),
        "escalations": escalations(order, role, open_case=open_case, refund_requests=refund_requests, cases=cases),
        "chat": role in (BUYER, MERCHANT) and open_case is None,
        "thread": thread_rows(order, role) if open_case is None else [],
        "chat_error": chat_error,
    }}


# --- the case page -------------------------------------------------------------------------


def decision_rows(case) -> list[dict]:
    """Each decision with its cited clauses' frozen text (the order's snapshot) and evidence numbers."""
    frozen = {c["no"]: c["text"] for c in (case.order.policy_snapshot or {}).get("clauses", [])}
    return [
        {"decision": d, "remedy": label(Remedy, d.remedy), "fault": label(Fault, d.fault),
         "clauses": [{"no": n, "text": frozen.get(n, "")} for n in d.clauses], "evidence": list(d.evidence),
         "effective": countdown(d.effective_at) if case.status == S.DECIDED and not d.appeal else None}
        for d in selectors.decisions(case)
    ]


def offer_rows(case) -> list[dict]:
    return [{"offer": o, "text": negotiation.describe(o), "status": label(OfferStatus, o.status),
             "countdown": countdown(o.answer_by) if o.status == OfferStatus.OPEN else None}
            for o in selectors.offers(case)]


def offer_choices(case, role: str) -> list[dict] | None:
    """The merchant's offer form: every remedy, with whether the frozen rules allow it and why not."""
    if role != MERCHANT or case.kind not in MONEY_KINDS or case.status not in (S.AWAITING_MERCHANT, S.NEGOTIATING):
        return None
    out = []
    for remedy in remedies_for(case.order):
        ok, why = negotiation.allowed(case, remedy["value"])
        out.append({**remedy, "ok": ok, "why": why})
    return out


def _waived(case, role: str) -> bool:
    return any(e.kind == "appeal_waived" and (e.data or {}).get("side") == role for e in selectors.timeline(case, role=role))


def actions(case, role: str) -> dict:
    """Which buttons the viewer gets (each action is checked again by its service)."""
    now = clock.now()
    ask_at = selectors.may_ask_platform_at(case)
    rights = selectors.appeal_rights(case)
    may_appeal = bool(rights.get(role)) and case.status == S.DECIDED
    return {
        "ask_platform": ask_at is not None and (role == BUYER and now >= ask_at or role == MERCHANT and case.status == S.NEGOTIATING),
        "ask_platform_at": ask_at if role == BUYER and ask_at and now < ask_at else None,
        "withdraw": role == BUYER and case.status in (S.AWAITING_MERCHANT, S.NEGOTIATING, S.PLATFORM_REVIEW),
        "appeal": may_appeal,
        "waive": may_appeal and not _waived(case, role),
        "fulfil": role == MERCHANT and case.status == S.AWAITING_REPLACEMENT,
        "message": case.status != S.CLOSED and role in (BUYER, MERCHANT),
    }


def case_context(case, role: str) -> dict:
    order = case.order
    requests = [r for r in selectors.evidence_requests(case) if r.party == role]
    events = selectors.timeline(case, role=role)
    offers = offer_rows(case)
    for e in events:
        e.party_label = PARTY_LABELS.get(e.party, e.party)
    return {
        "case": case, "order": order, "role": role,
        "kind_label": label(CaseKind, case.kind), "status_label": label(CaseStatus, case.status),
        "claim": label(Remedy, case.remedy_claimed) if case.remedy_claimed else "",
        "progress": progress_box(case),
        "thread": thread_rows(order, role),
        "events": events,
        "offers": offers,
        "open_offer": next((o for o in offers if o["offer"].status == OfferStatus.OPEN), None),
        "offer_choices": offer_choices(case, role),
        "evidence_requests": [{"request": r, "open": r.status == EvidenceRequestStatus.OPEN,
                               "countdown": countdown(r.due_at) if r.status == EvidenceRequestStatus.OPEN else None} for r in requests],
        "decisions": decision_rows(case),
        "actions": actions(case, role),
        "refund_request": case.refund_request,
        "replacement_hours": (order.policy_snapshot or {}).get("rules", {}).get("replacement_hours"),
        "remaining": max(0, order.amount - order.refunded_amount),
    }
