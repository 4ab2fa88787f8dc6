"""The case's facts in the evidence log: the case as opened, every message (its text by SHA-256)
and attachment (by content SHA-256), offers, evidence requests, decisions, and every event of the
timeline (appeals, waivers, escalations, deadlines' default outcomes, SLA breaches, staff actions).
Messages, attachments, decisions and events are write-once rows (``models.WriteOnce``); offers and
evidence requests are logged as made (their answers are events)."""
from __future__ import annotations

from kadun.core import staged_files
from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


def _plain(value):
    """JSON data as the log holds it: integers and strings (a float would print differently)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@source("cases.case", model="cases.Case")
def case_opened(case) -> Fact:
    return Fact(
        kind="case.claim", subject_type="case", subject_id=case.pk, actor_role="buyer", actor_id=None,
        body={
            "case_no": case.case_no, "order": case.order_id, "shop": case.shop_id, "case_kind": case.kind, "reason": case.reason,
            "remedy_claimed": case.remedy_claimed, "amount_claimed": case.amount_claimed, "key_ids": [int(k) for k in case.key_ids or []],
            "statement_sha256": privacy.optional_text(case.statement), "refund_request": case.refund_request_id,
            "opened_at": privacy.iso(case.opened_at),
        },
    )


@source("cases.event", model="cases.CaseEvent")
def case_event(event) -> Fact:
    return Fact(
        kind=f"case.{event.kind}"[:40], subject_type="case", subject_id=event.case_id, actor_role=event.party, actor_id=event.actor_id,
        body={
            "case": event.case_id, "event": event.kind, "party": event.party, "note_sha256": privacy.optional_text(event.note),
            "data": _plain(event.data or {}), "staff_only": event.staff_only, "at": privacy.iso(event.at),
        },
    )


def _thread_subject(message) -> tuple[str, int]:
    return ("case", message.case_id) if message.case_id else ("order", message.order_id)


@source("cases.message", model="cases.CaseMessage")
def case_message(message) -> Fact:
    subject_type, subject_id = _thread_subject(message)
    return Fact(
        kind="case.message", subject_type=subject_type, subject_id=subject_id, actor_role=message.party, actor_id=message.author_id,
        body={
            "order": message.order_id, "case": message.case_id, "party": message.party, "internal": message.internal,
            "text_sha256": privacy.text(message.body), "lure": message.lure, "created_at": privacy.iso(message.created_at),
        },
    )


def _attachment_bytes(attachment) -> bytes | None:
    from kadun.cases.attachments import STAGING

    return staged_files.read_committed(attachment.file.name, STAGING)


@source("cases.attachment", model="cases.CaseAttachment", related=("message",), file_of=_attachment_bytes)
def case_attachment(attachment) -> Fact:
    message = attachment.message
    subject_type, subject_id = _thread_subject(message)
    return Fact(
        kind="case.attachment", subject_type=subject_type, subject_id=subject_id, actor_role=message.party, actor_id=message.author_id,
        body={
            "message": attachment.message_id, "internal": message.internal, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256, "created_at": privacy.iso(attachment.created_at),
        },
    )


@source("cases.offer", model="cases.CaseOffer")
def case_offer(offer) -> Fact:
    return Fact(
        kind="case.offer_made", subject_type="case", subject_id=offer.case_id, actor_role="merchant", actor_id=None,
        body={
            "case": offer.case_id, "offer": offer.pk, "remedy": offer.remedy, "amount": offer.amount, "replace_hours": offer.replace_hours,
            "note_sha256": privacy.optional_text(offer.note), "answer_by": privacy.iso(offer.answer_by), "created_at": privacy.iso(offer.created_at),
        },
    )


@source("cases.evidence_request", model="cases.EvidenceRequest")
def case_evidence_request(request) -> Fact:
    return Fact(
        kind="case.evidence_request", subject_type="case", subject_id=request.case_id, actor_role="staff", actor_id=request.asked_by_id,
        body={
            "case": request.case_id, "party": request.party, "text_sha256": privacy.optional_text(request.text),
            "due_at": privacy.iso(request.due_at), "created_at": privacy.iso(request.created_at),
        },
    )


@source("cases.decision", model="cases.CaseDecision")
def case_decision(decision) -> Fact:
    return Fact(
        kind="case.appeal_decision" if decision.appeal else "case.decision", subject_type="case", subject_id=decision.case_id,
        actor_role="staff", actor_id=decision.arbitrator_id,
        body={
            "case": decision.case_id, "appeal": decision.appeal, "remedy": decision.remedy, "amount": decision.amount,
            "replace_hours": decision.replace_hours, "fault": decision.fault, "reasons_sha256": privacy.optional_text(decision.reasons),
            "clauses": _plain(list(decision.clauses or [])), "evidence": _plain(list(decision.evidence or [])),
            "effective_at": privacy.iso(decision.effective_at), "created_at": privacy.iso(decision.created_at),
        },
    )
