"""The buyer abuse record (用后退款防护), written: links between a buyer key and the signals it
was seen with, the facts counted against it (hooks in the services that make them, in their
transaction), the flag state a default outcome used, and contests.

Signals come from the request being served (``kadun.risk.middleware_abuse`` puts the device
cookie's and the client IP's keyed hashes in a context variable), and from the order (a guest's
contact) or the account (its contact / e-mail). docs/refunds.md, "Buyer abuse record".
"""
from __future__ import annotations

import contextvars
import datetime as dt

from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.core.errors import DomainError, Forbidden, NotFound
from kadun.evidence import privacy
from kadun.evidence import services as evidence_log
from kadun.risk import evidence_abuse as _sources  # noqa: F401  (registers the evidence sources)
from kadun.risk.models_abuse import AbuseContest, AbuseFact, AbuseFlagUse, AbuseLink
from kadun.risk.selectors_abuse import buyer_key_of, record_of, since
from kadun.risk.services import can_resolve
from kadun.risk.states import AbuseFactKind, ContestStatus, SignalKind

# (device hash or "", ip hash or "") of the request being served; set by the middleware.
current_signals: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("kadun_abuse_signals", default=("", ""))
REFRESH = dt.timedelta(hours=12)  # a link's last_seen is refreshed at most this often


class ContestInvalid(DomainError):
    code = "abuse_contest_invalid"
    status = 400
    message = "请填写申诉理由（10–2000字）。"


class ContestOpen(DomainError):
    code = "abuse_contest_open"
    status = 409
    message = "您已有一条待处理的申诉，请等待平台答复。"


class ContestAnswered(DomainError):
    code = "abuse_contest_answered"
    status = 409
    message = "该申诉已处理。"


class ContestNotFound(NotFound):
    code = "abuse_contest_not_found"
    message = "申诉不存在。"


class NotRiskStaff(Forbidden):
    code = "not_risk_staff"
    message = "仅风控人员可以处理。"


def device_hash(device_id: str) -> str:
    return privacy.keyed(device_id, "device") if device_id else ""


def link(*, buyer_key: str, kind: str, signal: str) -> None:
    """Record that ``buyer_key`` was seen with ``signal`` (a keyed hash) now."""
    if not signal or signal == privacy.ERASED:
        return
    now = clock.now()
    updated = AbuseLink.objects.filter(buyer_key=buyer_key, signal=signal, last_seen__lt=now - REFRESH).update(last_seen=now)
    if updated or AbuseLink.objects.filter(buyer_key=buyer_key, signal=signal).exists():
        return
    try:
        with transaction.atomic():
            AbuseLink.objects.create(buyer_key=buyer_key, kind=kind, signal=signal, first_seen=now, last_seen=now)
    except IntegrityError:
        pass  # the same link made at once by another request


def link_current(*, buyer_key: str, user=None, contact: str = "") -> None:
    """Link the buyer key with the request's device and IP, and with a contact (the guest's, or
    the account's contact and e-mail)."""
    device, ip = current_signals.get()
    link(buyer_key=buyer_key, kind=SignalKind.DEVICE, signal=device)
    link(buyer_key=buyer_key, kind=SignalKind.IP, signal=ip)
    contacts = [contact] + ([getattr(user, "contact", ""), getattr(user, "email", "")] if user is not None else [])
    for value in {c.strip().lower() for c in contacts if c and c.strip()}:
        link(buyer_key=buyer_key, kind=SignalKind.CONTACT, signal=privacy.contact(value))


def _fact(*, buyer_key: str, kind: str, ref: str, order, flagged: bool) -> AbuseFact | None:
    if AbuseFact.objects.filter(kind=kind, ref=ref).exists():
        return None
    fact = AbuseFact.objects.create(buyer_key=buyer_key, kind=kind, ref=ref, order_id=order.pk, product_id=order.product_id,
                                    flagged=flagged, at=clock.now())
    evidence_log.record("risk.abuse_fact", fact)
    return fact


def _unreported(order, keys) -> bool:
    """A 「卡密无效」 claim after reveal that nobody else backs: no checker found these keys bad,
    and no other order of the product had a 「卡密无效」 request or a bad 验货 report in the window."""
    from kadun.aftersales.selectors_abuse import product_invalid_claims_elsewhere
    from kadun.inventory.selectors_abuse import order_has_bad_report, product_bad_reports_elsewhere

    ids = [k.id for k in keys]
    if not ids or not any(k.first_revealed_at for k in keys) or order_has_bad_report(order, ids):
        return False
    start = since()
    return not (product_invalid_claims_elsewhere(product_id=order.product_id, order_id=order.pk, since=start)
                or product_bad_reports_elsewhere(product_id=order.product_id, order_id=order.pk, since=start))


def abuse_request_recorded(*, order, request, keys) -> None:
    """Hook (aftersales.refund_request_create, its transaction): the request is a fact; a
    「卡密无效」 claim on keys a checker confirmed valid, or after reveal with nobody else reporting
    the product, is one too. ``keys``: the engine's KeyFacts (id, first_revealed_at)."""
    from kadun.inventory.selectors_abuse import keys_confirmed_valid

    key = buyer_key_of(order)
    link_current(buyer_key=key, user=order.buyer if order.buyer_id else None, contact=order.contact)
    flagged = record_of(key).flagged
    ref = f"refund_request:{request.request_no}"
    _fact(buyer_key=key, kind=AbuseFactKind.REQUEST, ref=ref, order=order, flagged=flagged)
    if request.reason != "invalid_key" or not keys:
        return
    if keys_confirmed_valid(order, [k.id for k in keys]):
        _fact(buyer_key=key, kind=AbuseFactKind.INVALID_ON_VALID, ref=ref, order=order, flagged=flagged)
    elif _unreported(order, keys):
        _fact(buyer_key=key, kind=AbuseFactKind.UNREPORTED, ref=ref, order=order, flagged=flagged)


def abuse_case_decided(*, case, decision) -> None:
    """Hook (cases, when a decision takes effect): a decision against the buyer — fault found
    with the buyer, or the claim rejected — is a fact of their record."""
    if decision.fault != "buyer" and decision.remedy != "rejected":
        return
    order = case.order
    key = buyer_key_of(order)
    _fact(buyer_key=key, kind=AbuseFactKind.AGAINST, ref=f"case:{case.case_no}", order=order, flagged=record_of(key).flagged)


def abuse_flag_use(*, order, ref: str, flagged: bool, counts: dict, effect: str) -> AbuseFlagUse:
    """A default outcome read the buyer's flag (``record_of_order``): the state it read and the
    effect it had are logged (evidence source ``risk.abuse_flag_use``). Once per ``ref``."""
    use = AbuseFlagUse.objects.filter(ref=ref).first()
    if use is not None:
        return use
    use = AbuseFlagUse.objects.create(ref=ref, order_id=order.pk, buyer_key=buyer_key_of(order), flagged=flagged, counts=counts,
                                      effect=effect, at=clock.now())
    evidence_log.record("risk.abuse_flag_use", use)
    return use


def abuse_contest_open(*, user, reason: str) -> AbuseContest:
    """The buyer contests their record (their own account's key), with a reason."""
    reason = (reason or "").strip()
    if not 10 <= len(reason) <= 2000:
        raise ContestInvalid()
    key = f"user:{user.pk}"
    try:
        with transaction.atomic():
            contest = AbuseContest.objects.create(buyer_key=key, user=user, reason=reason, created_at=clock.now())
            evidence_log.record("risk.abuse_contest", contest)
    except IntegrityError as exc:
        raise ContestOpen() from exc
    return contest


def abuse_contest_answer(*, contest_id: int, actor, accept: bool, note: str) -> AbuseContest:
    """Risk staff answer a contest, with a note (at least 5 characters). Accepted: the facts on
    the buyer's record now (window, linked keys) are cleared by it, so the flag is recomputed
    without them; rejected: the record stands. Audited on the contest and in the evidence log."""
    if not can_resolve(actor):
        raise NotRiskStaff()
    note = (note or "").strip()
    if not 5 <= len(note) <= 500:
        raise ContestInvalid(message="请填写处理说明（5–500字）。")
    with transaction.atomic():
        contest = AbuseContest.objects.filter(pk=contest_id).first()
        if contest is None:
            raise ContestNotFound()
        status = ContestStatus.ACCEPTED if accept else ContestStatus.REJECTED
        now = clock.now()
        if AbuseContest.objects.filter(pk=contest_id, status=ContestStatus.OPEN).update(
            status=status, answered_by=actor, answered_at=now, note=note
        ) != 1:
            raise ContestAnswered()
        if accept:
            keys = record_of(contest.buyer_key).keys
            AbuseFact.objects.filter(buyer_key__in=keys, at__gte=since(), cleared_by__isnull=True).update(cleared_by=contest)
        contest.refresh_from_db()
        evidence_log.record("risk.abuse_contest", contest)
    return contest
