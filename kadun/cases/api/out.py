"""Turning cases into the API's shapes (``kadun.cases.schemas``) for a viewer: what the two
sides see (``case_out``, ``message_out``) and what staff see (``staff_case_out``), read through
``cases.selectors`` with the viewer's role, so internal notes and staff-only events reach staff
alone."""
from __future__ import annotations

from typing import Optional

from kadun.cases import negotiation, selectors
from kadun.cases.states import MONEY_KINDS

ATTACHMENT_URL = "/api/cases/attachments/{id}"


def _name(user) -> Optional[str]:
    return user.username if user is not None else None


def summary_out(case) -> dict:
    return {
        "case_no": case.case_no, "order_no": case.order.order_no, "kind": case.kind, "status": case.status,
        "priority": case.priority, "remedy_claimed": case.remedy_claimed, "amount_claimed": case.amount_claimed,
        "amount_refunded": case.amount_refunded, "outcome": case.outcome or None, "fault": case.fault or None,
        "awaiting": case.awaiting, "deadline_at": case.deadline_at, "opened_at": case.opened_at, "closed_at": case.closed_at,
        "refund_request_no": case.refund_request.request_no if case.refund_request_id else None,
    }


def queue_item_out(case) -> dict:
    return {**summary_out(case), "shop": case.shop.name, "assignee": _name(case.assignee), "platform_since": case.platform_since,
            "next_due": getattr(case, "next_due", None)}


def _attachments(message) -> list[dict]:
    return [{"id": a.pk, "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "url": ATTACHMENT_URL.format(id=a.pk)}
            for a in message.attachments.all()]


def message_out(message, *, staff: bool = False) -> dict:
    out = {
        "id": message.pk, "no": getattr(message, "no", None), "case_no": message.case.case_no if message.case_id else None,
        "party": message.party, "body": message.body, "lure": message.lure, "created_at": message.created_at,
        "attachments": _attachments(message),
    }
    if staff:
        out.update(internal=message.internal, author=_name(message.author))
    return out


def thread_out(order, *, role: str) -> list[dict]:
    """The order's thread for a viewer: internal notes only for staff (``selectors.thread``)."""
    return [message_out(m, staff=role == selectors.STAFF) for m in selectors.thread(order, role=role)]


def offer_out(o) -> dict:
    return {"id": o.pk, "remedy": o.remedy, "amount": o.amount, "replace_hours": o.replace_hours, "note": o.note, "status": o.status,
            "answer_by": o.answer_by, "created_at": o.created_at, "answered_at": o.answered_at}


def evidence_request_out(r) -> dict:
    return {"id": r.pk, "party": r.party, "text": r.text, "status": r.status, "due_at": r.due_at, "created_at": r.created_at,
            "answered_at": r.answered_at}


def decision_out(d, *, staff: bool) -> dict:
    out = {"id": d.pk, "appeal": d.appeal, "remedy": d.remedy, "amount": d.amount, "replace_hours": d.replace_hours, "fault": d.fault,
           "reasons": d.reasons, "clauses": d.clauses, "evidence": d.evidence, "effective_at": d.effective_at, "created_at": d.created_at}
    if staff:
        out["arbitrator"] = d.arbitrator.username
    return out


def _offer_remedies(case) -> list[dict]:
    if case.kind not in MONEY_KINDS:
        return []
    out = []
    for remedy in ("full_refund", "partial_refund", "replacement"):
        ok, why = negotiation.allowed(case, remedy)
        out.append({"remedy": remedy, "allowed": ok, "why": "" if ok else why})
    return out


def _shared(case, *, staff: bool) -> dict:
    role = selectors.STAFF if staff else selectors.BUYER  # what the two sides see is the same for both
    rights = selectors.appeal_rights(case)
    return {
        **summary_out(case), "statement": case.statement, "key_ids": list(case.key_ids or []), "progress": selectors.progress(case),
        "offers": [offer_out(o) for o in selectors.offers(case)],
        "evidence_requests": [evidence_request_out(r) for r in selectors.evidence_requests(case)],
        "decisions": [decision_out(d, staff=staff) for d in selectors.decisions(case)],
        "appeal_rights": {"buyer": rights["buyer"], "merchant": rights["merchant"]},
        "events": [_event(e, staff=staff) for e in selectors.timeline(case, role=role)],
    }


def _event(e, *, staff: bool) -> dict:
    out = {"kind": e.kind, "party": e.party, "note": e.note, "at": e.at}
    if staff:
        out.update(staff_only=e.staff_only, actor=_name(e.actor), data=e.data or {})
    return out


def case_out(case, *, role: str) -> dict:
    """The case as its buyer or merchant sees it (never internal notes or staff-only events)."""
    offer = selectors.open_offer(case)
    return {
        **_shared(case, staff=False), "role": role, "may_ask_platform_at": selectors.may_ask_platform_at(case),
        "open_offer_id": offer.pk if offer else None,
        "offer_remedies": _offer_remedies(case) if role == selectors.MERCHANT else [],
    }


def staff_case_out(case) -> dict:
    """The case as staff see it: notes, every event, who acted, the SLA clocks."""
    notes = [message_out(m, staff=True) for m in selectors.thread(case.order, role=selectors.STAFF) if m.internal]
    clocks = [{"target": c.target, "minutes": c.minutes, "started_at": c.started_at, "due_at": c.due_at, "paused_since": c.paused_since,
               "remaining_seconds": c.remaining_seconds, "met_at": c.met_at, "breached_at": c.breached_at} for c in selectors.sla_clocks(case)]
    return {
        **_shared(case, staff=True), "shop": case.shop.name, "assignee": _name(case.assignee), "arbitrator": _name(case.arbitrator),
        "platform_since": case.platform_since, "merchant_first_response_at": case.merchant_first_response_at,
        "staff_first_response_at": case.staff_first_response_at, "notes": notes, "sla_clocks": clocks,
    }
