"""Writes of the public complaint board (曝光): publish, moderate (approve, reject, redact),
the merchant's one reply, the buyer's withdrawal.

Every write runs in one transaction with its audit row and its evidence entry
(``evidence.services.record``). The verified fields are built here from the platform's records
and never taken from a caller; nothing here updates them (the database refuses it too). A state
change is a conditional ``UPDATE … WHERE status IN (…)``: 0 rows is ``complaint_state``.

Moderation may only reject or redact for the published reasons (personal data, insults,
unrelated to the order — redaction only the first two), each with a note. A redaction may only
hide parts of the text (each hidden part becomes ``［已隐藏］``): it cannot add or change a word,
and the original stays in the audit trail for staff."""
from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from kadun.core import clock
from kadun.evidence import complaints_facts as facts
from kadun.evidence.complaints_errors import (
    ComplaintExists, ComplaintState, InvalidComplaintInput, InvalidModeration, ModerationNotAllowed, NotTheBuyer, NotTheMerchant, ReplyExists,
)
from kadun.evidence.complaints_sources import SOURCE_ACTION, SOURCE_COMPLAINT
from kadun.evidence.complaints_states import REDACT_REASONS, REDACTION_MARK, ComplaintStatus, ModerationReason
from kadun.evidence.models_complaints import Complaint, ComplaintAction, ComplaintReply
from kadun.evidence.services import record
from kadun.notifications.services import notify
from kadun.orders import services as orders
from kadun.orders.selectors import BUYER

S = ComplaintStatus
MODERATOR_ROLES = ("support", "risk")  # and admins (User.has_staff_role)
NOTE_MIN = 5


def is_moderator(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_staff_role(*MODERATOR_ROLES))


def _text(value: str, *, limit: int, what: str) -> str:
    text = (value or "").replace("\x00", "").strip()
    if len(text) < settings.KADUN_COMPLAINT_STATEMENT_MIN:
        raise InvalidComplaintInput("text_too_short", f"{what}至少 {settings.KADUN_COMPLAINT_STATEMENT_MIN} 个字。")
    if len(text) > limit:
        raise InvalidComplaintInput("text_too_long", f"{what}最多 {limit} 个字。")
    return text


def _new_no() -> str:
    return "TS" + clock.now().strftime("%y%m%d") + f"{secrets.randbelow(10**8):08d}"


def _action(complaint: Complaint, kind: str, role: str, actor=None, **fields) -> ComplaintAction:
    action = ComplaintAction.objects.create(
        complaint=complaint, kind=kind, actor_role=role, actor=actor if getattr(actor, "pk", None) else None, at=clock.now(), **fields,
    )
    record(SOURCE_ACTION, action)
    return action


def _tell(user_id, title: str, complaint: Complaint, event: str) -> None:
    if user_id:
        notify(user_id=user_id, title=f"{title}：曝光 {complaint.complaint_no}", link=reverse("complaints:detail", args=[complaint.complaint_no]),
               event=event)


def complaint_publish(*, order, role: str, author=None, statement: str) -> Complaint:
    """The buyer of ``order`` (``role`` from ``orders.selectors.order_access``) publishes a
    complaint: pending until staff approve it. The verified fields are built from the records."""
    if role != BUYER:
        raise NotTheBuyer()
    text = _text(statement, limit=settings.KADUN_COMPLAINT_STATEMENT_MAX, what="曝光说明")
    with transaction.atomic():
        orders.order_lock(order.pk)
        if Complaint.objects.filter(order_id=order.pk).exists():
            raise ComplaintExists()
        rec = facts.records_of(order)
        elig = facts.eligibility(rec)
        data = facts.build(rec, elig)
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    complaint_no=_new_no(), order_id=order.pk, case_id=getattr(elig.case, "pk", None), shop_id=order.shop_id,
                    author=author if getattr(author, "pk", None) else None, basis=elig.bases[0], category=data["category"],
                    delivery=data["delivery"], amount_band=data["amount_band"], outcome=data["decision"]["outcome"], facts=data,
                    facts_hash=facts.facts_hash(data), statement=text, statement_shown=text, created_at=clock.now(),
                )
        except IntegrityError:
            raise ComplaintExists() from None
        record(SOURCE_COMPLAINT, complaint)
    return complaint


def _moderator(complaint: Complaint, staff) -> None:
    if not is_moderator(staff):
        raise ModerationNotAllowed()
    order = complaint.order
    if staff.pk in (order.buyer_id, order.shop.owner_id):
        raise ModerationNotAllowed("own_complaint", "您是该订单的买家或商家，不能审核这条曝光。")


def _reason(reason: str, note: str, *, allowed) -> tuple[str, str]:
    note = (note or "").strip()
    if reason not in [str(r) for r in allowed]:
        raise InvalidModeration()
    if len(note) < NOTE_MIN:
        raise InvalidModeration("moderation_note_required", f"请写明理由（至少 {NOTE_MIN} 个字），说明哪一部分含个人信息、辱骂或与订单无关。")
    return reason, note[:500]


def _move(complaint: Complaint, *, frm, to: str, **changes) -> None:
    if Complaint.objects.filter(pk=complaint.pk, status__in=list(frm)).update(status=to, **changes) != 1:
        raise ComplaintState()
    complaint.status = to
    for name, value in changes.items():
        setattr(complaint, name, value)


def complaint_approve(*, complaint: Complaint, staff) -> Complaint:
    """Publish a pending complaint. Approval is the default: a clean complaint is published however
    unfavourable it is to the merchant or the platform."""
    _moderator(complaint, staff)
    with transaction.atomic():
        now = clock.now()
        _move(complaint, frm=[S.PENDING], to=S.PUBLISHED, published_at=now, moderated_by=staff, moderated_at=now)
        _action(complaint, "approved", "staff", staff)
        _tell(complaint.author_id, "您的曝光已公开", complaint, "complaint_published")
        _tell(complaint.order.shop.owner_id, "您的店铺收到一条公开曝光，可公开回复一次", complaint, "complaint_published")
    return complaint


def complaint_reject(*, complaint: Complaint, staff, reason: str, note: str) -> Complaint:
    """Refuse a pending complaint, only for a published reason, with a note the author sees."""
    _moderator(complaint, staff)
    reason, note = _reason(reason, note, allowed=ModerationReason.values)
    with transaction.atomic():
        _move(complaint, frm=[S.PENDING], to=S.REJECTED, moderated_by=staff, moderated_at=clock.now())
        _action(complaint, "rejected", "staff", staff, reason=reason, note=note)
        _tell(complaint.author_id, "您的曝光未通过审核", complaint, "complaint_rejected")
    return complaint


def redaction_valid(original: str, redacted: str) -> bool:
    """Does ``redacted`` only hide parts of ``original`` (each hidden run replaced by the mark),
    and at most half of it? (Hiding more is not a redaction: a complaint that is mostly personal
    data or insults is rejected, with its reason, where the author sees why.)"""
    if REDACTION_MARK not in redacted:
        return False
    pieces = redacted.split(REDACTION_MARK)
    match = re.fullmatch("(.+?)".join(re.escape(p) for p in pieces), original, flags=re.S)
    return match is not None and 2 * sum(len(g) for g in match.groups()) <= len(original)


def _redaction(original: str, text: str, reason: str, note: str) -> tuple[str, str, str]:
    reason, note = _reason(reason, note, allowed=REDACT_REASONS)
    text = (text or "").strip()
    if not redaction_valid(original, text):
        raise InvalidModeration("redaction_invalid", f"隐藏只能把原文中的部分内容替换为「{REDACTION_MARK}」，不能增改其他文字。")
    return reason, note, text


def complaint_redact(*, complaint: Complaint, staff, reason: str, note: str, text: str) -> Complaint:
    """Hide the personal data or insults in a pending or published statement (from the original:
    a second redaction starts again from what the buyer wrote)."""
    _moderator(complaint, staff)
    reason, note, text = _redaction(complaint.statement, text, reason, note)
    with transaction.atomic():
        before = complaint.statement_shown
        _move(complaint, frm=[S.PENDING, S.PUBLISHED], to=complaint.status, statement_shown=text, redaction_reason=reason)
        _action(complaint, "redacted", "staff", staff, reason=reason, note=note, original=before, redacted=text)
    return complaint


def reply_redact(*, complaint: Complaint, staff, reason: str, note: str, text: str) -> ComplaintReply:
    _moderator(complaint, staff)
    reply = ComplaintReply.objects.filter(complaint=complaint).first()
    if reply is None:
        raise ComplaintState("no_reply", "商家尚未回复。")
    reason, note, text = _redaction(reply.body, text, reason, note)
    with transaction.atomic():
        if Complaint.objects.filter(pk=complaint.pk, status__in=[S.PUBLISHED]).select_for_update().count() != 1:
            raise ComplaintState()
        before = reply.body_shown
        ComplaintReply.objects.filter(pk=reply.pk).update(body_shown=text, redaction_reason=reason)
        reply.body_shown, reply.redaction_reason = text, reason
        _action(complaint, "reply_redacted", "staff", staff, reason=reason, note=note, original=before, redacted=text)
    return reply


def complaint_reply(*, complaint: Complaint, shop, author, body: str) -> ComplaintReply:
    """The merchant of the complaint's shop replies once, publicly (shown at once; staff may
    redact it as they may a complaint)."""
    if shop is None or complaint.shop_id != shop.pk:
        raise NotTheMerchant()
    text = _text(body, limit=settings.KADUN_COMPLAINT_REPLY_MAX, what="回复")
    with transaction.atomic():
        if Complaint.objects.filter(pk=complaint.pk, status=S.PUBLISHED).select_for_update().count() != 1:
            raise ComplaintState(message="只能回复已公开的曝光。")
        try:
            with transaction.atomic():
                reply = ComplaintReply.objects.create(complaint=complaint, shop_id=shop.pk, author=author, body=text, body_shown=text,
                                                      created_at=clock.now())
        except IntegrityError:
            raise ReplyExists() from None
        _action(complaint, "replied", "merchant", author, redacted=text)
        _tell(complaint.author_id, "商家回复了您的曝光", complaint, "complaint_replied")
    return reply


def complaint_withdraw(*, complaint: Complaint, role: str, author=None) -> Complaint:
    """The buyer withdraws: the facts are no longer shown; a notice that it was withdrawn stays."""
    if role != BUYER:
        raise NotTheBuyer()
    with transaction.atomic():
        _move(complaint, frm=[S.PENDING, S.PUBLISHED], to=S.WITHDRAWN, withdrawn_at=clock.now())
        _action(complaint, "withdrawn", "buyer" if getattr(author, "pk", None) else "guest", author)
    return complaint
