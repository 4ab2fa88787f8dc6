"""申诉: the merchant appeals a confirmed penalty within KADUN_PENALTY_APPEAL_DAYS; a staff member
other than the one who confirmed it decides (the guard is in the update's WHERE)."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.merchants import penalties
from kadun.merchants.models_penalties import Penalty, PenaltyAppeal
from kadun.merchants.penalties_errors import AppealClosed, AppealExists, AppealNotOpen, AppealSameStaff, PenaltyNotFound, ReasonRequired
from kadun.merchants.penalty_rules import Level, PenaltyStatus

P = PenaltyStatus


def appeal_file(*, shop, penalty_id: int, reason: str) -> PenaltyAppeal:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    penalty = Penalty.objects.filter(pk=penalty_id, shop_id=shop.pk).exclude(status=P.PROPOSED).first()
    if penalty is None:
        raise PenaltyNotFound()
    now = clock.now()
    with transaction.atomic():
        # The window and the state in the WHERE of a lock read: a penalty overturned meanwhile is gone.
        if not Penalty.objects.select_for_update().filter(pk=penalty.pk, status=P.CONFIRMED, appeal_until__gte=now).exists():
            raise AppealClosed()
        try:
            with transaction.atomic():
                appeal = PenaltyAppeal.objects.create(penalty=penalty, reason=reason[:5000], filed_at=now)
        except IntegrityError:
            raise AppealExists() from None
        penalties.event(penalty.pk, "appealed", actor=shop.owner, note=reason)
    return appeal


def appeal_decide(*, appeal_id: int, staff, overturn: bool, reason: str) -> PenaltyAppeal:
    """Uphold or overturn. The staff member who confirmed the penalty can't decide its appeal:
    ``penalty__decided_by`` is excluded in the WHERE of the update that decides it."""
    penalties._staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        now = clock.now()
        decided = (PenaltyAppeal.objects.filter(pk=appeal_id, status="open").exclude(penalty__decided_by=staff)
                   .update(status="overturned" if overturn else "upheld", decided_by=staff, decision_reason=reason[:2000], decided_at=now))
        if not decided:
            appeal = PenaltyAppeal.objects.filter(pk=appeal_id).select_related("penalty").first()
            if appeal is None:
                raise PenaltyNotFound()
            if appeal.status == "open" and appeal.penalty.decided_by_id == staff.pk:
                raise AppealSameStaff()
            raise AppealNotOpen()
        appeal = PenaltyAppeal.objects.select_related("penalty").get(pk=appeal_id)
        penalty = appeal.penalty
        if overturn:
            if not Penalty.objects.filter(pk=penalty.pk, status=P.CONFIRMED).update(status=P.OVERTURNED):
                raise AppealNotOpen()
            penalties.event(penalty.pk, "overturned", actor=staff, note=reason)
            if penalty.level == Level.BAN:
                penalties.ban_lift(penalty=penalty)
            penalties._score_refresh(penalty.shop_id)
        else:
            penalties.event(penalty.pk, "appeal_upheld", actor=staff, note=reason)
    return appeal
