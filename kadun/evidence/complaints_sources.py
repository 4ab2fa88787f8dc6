"""The complaint board's evidence sources (kadun.evidence.registry): a complaint's publication
(its verified fields, frozen) and each later action (moderation, the merchant's reply, the
buyer's withdrawal) from its write-once audit row. Free text goes in only by its SHA-256: the
log is permanent, a statement may hold personal data a redaction later hides."""
from __future__ import annotations

from kadun.evidence import canonical
from kadun.evidence.registry import Fact, source

PUBLISHED = "complaint.published"
# Audit action → the entry kind it is logged as.
ACTION_KINDS = {
    "approved": "complaint.moderated", "rejected": "complaint.moderated", "redacted": "complaint.moderated",
    "reply_redacted": "complaint.moderated", "replied": "complaint.replied", "withdrawn": "complaint.withdrawn",
}
SOURCE_COMPLAINT = "evidence.complaint"
SOURCE_ACTION = "evidence.complaint_action"


def _sha(text: str) -> str:
    return canonical.sha256_hex((text or "").encode("utf-8"))


@source(SOURCE_COMPLAINT, model="evidence.Complaint")
def complaint_fact(complaint) -> Fact:
    return Fact(
        kind=PUBLISHED, subject_type="complaint", subject_id=complaint.pk,
        actor_role="buyer" if complaint.author_id else "guest", actor_id=complaint.author_id,
        body={
            "complaint_no": complaint.complaint_no, "order": complaint.order_id, "case": complaint.case_id, "shop": complaint.shop_id,
            "basis": complaint.basis, "facts": complaint.facts, "facts_hash": complaint.facts_hash,
            "statement_sha256": _sha(complaint.statement), "created_at": complaint.created_at.isoformat(),
        },
    )


@source(SOURCE_ACTION, model="evidence.ComplaintAction")
def action_fact(action) -> Fact:
    return Fact(
        kind=ACTION_KINDS[action.kind], subject_type="complaint", subject_id=action.complaint_id,
        actor_role=action.actor_role, actor_id=action.actor_id,
        body={
            "action": action.kind, "reason": action.reason, "note_sha256": _sha(action.note),
            "text_sha256": _sha(action.redacted) if action.redacted else "", "at": action.at.isoformat(),
        },
    )
