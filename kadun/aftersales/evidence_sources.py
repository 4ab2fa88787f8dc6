"""Aftersales' facts in the evidence log: each refund request as the engine decided it, every
event of its timeline (the merchant's answers, promises of a replacement, the deadlines' default
outcomes, withdrawals), and each evidence image by its content SHA-256. (``evidence.py`` is the
evidence *images* module; this one registers the log's sources.)"""
from __future__ import annotations

from kadun.core import staged_files
from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


@source("aftersales.request", model="aftersales.RefundRequest")
def refund_requested(request) -> Fact:
    return Fact(
        kind="refund.request", subject_type="order", subject_id=request.order_id, actor_role="buyer", actor_id=None,
        body={
            "request_no": request.request_no, "order": request.order_id, "reason": request.reason,
            "statement_sha256": privacy.optional_text(request.statement), "key_ids": [int(k) for k in request.key_ids or []],
            "amount_requested": request.amount_requested, "destination": request.destination, "outcome": request.outcome,
            "clauses": list(request.clauses or []), "explanation_sha256": privacy.optional_text(request.explanation),
            "respond_by": privacy.iso(request.respond_by), "created_at": privacy.iso(request.created_at),
        },
    )


@source("aftersales.event", model="aftersales.RefundEvent", related=("request",))
def refund_event(event) -> Fact:
    return Fact(
        kind=f"refund.{event.kind}"[:40], subject_type="order", subject_id=event.request.order_id, actor_role=event.actor, actor_id=None,
        body={
            "request": event.request_id, "event": event.kind, "actor": event.actor,
            "note_sha256": privacy.optional_text(event.note), "at": privacy.iso(event.at),
        },
    )


def _image_bytes(evidence) -> bytes | None:
    from kadun.aftersales.evidence import STAGING

    return staged_files.read_committed(evidence.file.name, STAGING)


@source("aftersales.evidence", model="aftersales.RefundEvidence", related=("request",), file_of=_image_bytes)
def refund_evidence(evidence) -> Fact:
    return Fact(
        kind="refund.evidence", subject_type="order", subject_id=evidence.request.order_id, actor_role=evidence.party, actor_id=None,
        body={
            "request": evidence.request_id, "party": evidence.party, "content_type": evidence.content_type,
            "size": evidence.size, "sha256": evidence.sha256, "created_at": privacy.iso(evidence.created_at),
        },
    )
