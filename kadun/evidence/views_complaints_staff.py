"""Staff console of the complaint board (平台后台 · 曝光审核): the pending complaints, oldest
first, and one complaint with its audit trail (every original a redaction hid) and the actions:
approve, reject, hide part of the statement or of the merchant's reply.

Any staff role may look (the console's gate: everyone else gets its 404); support and risk
staff (and admins) act. The only reasons are the published ones — personal data, insults,
unrelated to the order — each with a note; the page says, as the rules do, that a complaint is
never rejected for being unfavourable. The services check all of it again."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.core.pagination import id_param
from kadun.evidence import complaints
from kadun.evidence import selectors_complaints as reads
from kadun.evidence.complaints_display import present
from kadun.evidence.complaints_errors import ComplaintNotFound
from kadun.evidence.complaints_states import REDACT_REASONS, REDACTION_MARK, ModerationReason
from kadun.orders.selectors import STAFF, viewer_of

QUEUE_SIZE = 50


@staff_only
@require_safe
def queue(request):
    rows = reads.moderation_queue(after=id_param(request, "after"), size=QUEUE_SIZE)
    return render(request, "evidence/staff_complaints.html", {
        "rows": rows, "recent": reads.recently_moderated(), "section": "complaints",
        "next_url": f"?after={rows[-1].pk}" if len(rows) == QUEUE_SIZE else None, "reasons": ModerationReason.choices,
    })


def _complaint(request, complaint_no: str):
    try:
        complaint, role = reads.complaint_access(complaint_no=complaint_no, viewer=viewer_of(request))
    except ComplaintNotFound:
        raise Http404 from None
    if role != STAFF:
        raise Http404
    return complaint


def _page(request, complaint, *, error: str = "", status: int = 200):
    reply = reads.reply_of(complaint)
    entries = reads.action_entry_ids(complaint)
    actions = reads.audit(complaint, role=STAFF)
    for action in actions:
        action.entry_id = entries.get(action.pk)
        action.entry_url = reads.entry_url(action.entry_id) if action.entry_id else ""
    return render(request, "evidence/staff_complaint.html", {
        "c": complaint, "shown": present(complaint, role=STAFF, reply=reply), "reply": reply, "actions": actions,
        "error": error, "section": "complaints", "may_act": complaints.is_moderator(request.user),
        "reasons": ModerationReason.choices, "redact_reasons": [(r.value, r.label) for r in REDACT_REASONS], "mark": REDACTION_MARK,
    }, status=status)


@staff_only
@require_safe
def complaint_page(request, complaint_no: str):
    return _page(request, _complaint(request, complaint_no))


@staff_only
@require_POST
def complaint_act(request, complaint_no: str):
    complaint = _complaint(request, complaint_no)
    post, user = request.POST, request.user
    action = post.get("action", "")
    try:
        if action == "approve":
            complaints.complaint_approve(complaint=complaint, staff=user)
        elif action == "reject":
            complaints.complaint_reject(complaint=complaint, staff=user, reason=post.get("reason", ""), note=post.get("note", ""))
        elif action == "redact":
            complaints.complaint_redact(complaint=complaint, staff=user, reason=post.get("reason", ""), note=post.get("note", ""),
                                        text=post.get("text", ""))
        elif action == "redact_reply":
            complaints.reply_redact(complaint=complaint, staff=user, reason=post.get("reason", ""), note=post.get("note", ""),
                                    text=post.get("text", ""))
        else:
            raise DomainError("invalid_action", _("未知操作。"))
    except DomainError as exc:
        return _page(request, complaint, error=exc.message, status=exc.status)
    messages.success(request, _("已处理，操作已记入审核记录并存证。"))
    return redirect("complaints:staff_complaint", complaint.complaint_no)
