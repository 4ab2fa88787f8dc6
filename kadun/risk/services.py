"""Writes for risk: raising an alert (idempotent per kind and subject) and resolving one; flagging
an off-platform lure (脱离平台交易) and reviewing the flag."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from kadun.core import clock
from kadun.merchants.services import breach_record
from kadun.risk.errors import AlertAlreadyResolved, AlertNotFound, LureFlagNotFound, LureFlagReviewed, NotRiskStaff
from kadun.risk.lures import Lure, find_lures
from kadun.risk.models import LureAuthor, LureFlag, RiskAlert
from kadun.risk.errors_alerts import InvalidResolution
from kadun.risk.states import AlertKind, AlertResolution, AlertStatus, AuthorRole, LureWhere

log = logging.getLogger("kadun.risk")
RISK_ROLES = ("risk",)  # admins too (User.has_staff_role)


def alert_raise(*, kind: str, subject: str, shop_id: int | None = None, details: dict | None = None) -> tuple[RiskAlert, bool]:
    """Open an alert, or return the one already open for this kind and subject (the unique
    index decides between two raised at once). Returns (alert, created)."""
    subject = subject[:80]
    for _ in range(3):
        try:
            with transaction.atomic():
                alert = RiskAlert.objects.create(kind=kind, subject=subject, shop_id=shop_id, details=details or {}, created_at=clock.now())
        except IntegrityError:
            existing = RiskAlert.objects.filter(kind=kind, subject=subject, status=AlertStatus.OPEN).first()
            if existing is not None:
                return existing, False
            continue  # resolved in between: raise it again
        log.warning("risk alert %s #%s raised for %s", kind, alert.pk, subject)
        return alert, True
    raise RuntimeError("risk alert could not be raised")


def can_resolve(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_staff_role(*RISK_ROLES))


def alert_resolve(*, alert_id: int, actor, note: str = "", resolution: str = AlertResolution.HANDLED) -> RiskAlert:
    """Risk staff close an alert (which lifts what it restricted, e.g. a shop's import pause).
    Who, when and the resolution (确认欺诈 / 误报 / 已处置 / 重复预警) are recorded on the alert;
    a second resolve is refused."""
    if not can_resolve(actor):
        raise NotRiskStaff()
    if resolution not in AlertResolution.values:
        raise InvalidResolution()
    if not RiskAlert.objects.filter(pk=alert_id).exists():
        raise AlertNotFound()
    done = RiskAlert.objects.filter(pk=alert_id, status=AlertStatus.OPEN).update(
        status=AlertStatus.RESOLVED, resolved_by=actor, resolved_at=clock.now(), resolution_note=(note or "").strip()[:500],
        resolution=resolution,
    )
    if done != 1:
        raise AlertAlreadyResolved()
    log.warning("risk alert #%s resolved by user #%s", alert_id, actor.pk)
    return RiskAlert.objects.select_related("shop", "resolved_by").get(pk=alert_id)


# --- 脱离平台交易 ---------------------------------------------------------------------------

LURE_TEXT_CHARS = 2000
BREACH_OFF_PLATFORM = "off_platform_lure"


def lure_check(
    *, text: str, where: str, subject: str, author_id: int | None, author_role: str, shop_id: int | None = None,
    allow: Iterable[str] = (),
) -> list[Lure]:
    """The off-platform lures in a text someone is writing (``kadun.risk.lures.find_lures``), so the
    caller can warn both sides; if there are any, a LureFlag for risk staff with the text and who
    wrote it, in the caller's transaction. Staff are never flagged. An author flagged
    KADUN_LURE_REPEAT_COUNT times within KADUN_LURE_REPEAT_DAYS (this flag included) has repeated
    the lure: each such flag is a violation — a breach on a merchant's record (``shop_id`` given)
    and the open risk alert ``off_platform_lure`` about ``user:<id>``. ``allow``: what the author
    may repeat without it being a lure (the buyer's own inputs on the order)."""
    if where not in LureWhere.values or author_role not in AuthorRole.values:
        raise ValueError(f"lure_check: unknown where {where!r} or author role {author_role!r}")
    lures = find_lures(text, allow=allow)
    if not lures or author_role == AuthorRole.STAFF:
        return lures
    now = clock.now()
    with transaction.atomic():
        count = _author_flagged(author_id, now) if author_id is not None else 1
        flag = LureFlag.objects.create(
            where=where, subject=subject[:80], author_id=author_id, author_role=author_role, shop_id=shop_id,
            text=(text or "")[:LURE_TEXT_CHARS], kinds=sorted({lure.kind for lure in lures}), matches=[lure.match for lure in lures],
            violation=author_id is not None and count >= settings.KADUN_LURE_REPEAT_COUNT, created_at=now,
        )
        log.warning("lure flag #%s: %s by %s #%s (%s), %s", flag.pk, where, author_role, author_id, subject, ",".join(flag.kinds))
        if flag.violation:
            _lure_violation(flag, count)
    return lures


def _author_flagged(author_id: int, now: dt.datetime) -> int:
    """How many times the author has been flagged within the window, this flag included. The
    author's tally row is updated (so locked) first: a second flag at the same moment waits for
    this one and then counts it."""
    tally = LureAuthor.objects.filter(author_id=author_id)
    if not tally.update(flags=F("flags") + 1, last_flagged_at=now):
        try:
            with transaction.atomic():
                LureAuthor.objects.create(author_id=author_id, flags=1, last_flagged_at=now)
        except IntegrityError:  # created at the same moment: that one is committed now
            tally.update(flags=F("flags") + 1, last_flagged_at=now)
    since = now - dt.timedelta(days=settings.KADUN_LURE_REPEAT_DAYS)
    return LureFlag.objects.filter(author_id=author_id, created_at__gte=since).count() + 1


def _order_id(subject: str) -> int | None:
    kind, _, ident = subject.partition(":")
    return int(ident) if kind == "order" and ident.isdigit() else None


def _lure_violation(flag: LureFlag, count: int) -> None:
    with translation.override("zh-hans"):
        where = str(LureWhere(flag.where).label)
    note = f"{settings.KADUN_LURE_REPEAT_DAYS}天内第{count}次发布站外联系方式或站外交易信息（{where}，{flag.subject}）"
    if flag.author_role == AuthorRole.MERCHANT and flag.shop_id is not None:
        breach_record(shop_id=flag.shop_id, kind=BREACH_OFF_PLATFORM, order_id=_order_id(flag.subject), note=note)
    alert_raise(
        kind=AlertKind.OFF_PLATFORM_LURE, subject=f"user:{flag.author_id}", shop_id=flag.shop_id,
        details={"flag_id": flag.pk, "count": count, "author_role": flag.author_role, "where": flag.where},
    )


def lure_flag_review(*, flag_id: int, actor, note: str = "") -> LureFlag:
    """Risk staff mark a flag as looked at (who, when, a note); a second review is refused."""
    if not can_resolve(actor):
        raise NotRiskStaff()
    if not LureFlag.objects.filter(pk=flag_id).exists():
        raise LureFlagNotFound()
    done = LureFlag.objects.filter(pk=flag_id, reviewed_at__isnull=True).update(
        reviewed_by=actor, reviewed_at=clock.now(), review_note=(note or "").strip()[:500],
    )
    if done != 1:
        raise LureFlagReviewed()
    return LureFlag.objects.select_related("author", "shop", "reviewed_by").get(pk=flag_id)
