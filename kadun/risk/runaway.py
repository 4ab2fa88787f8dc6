"""跑路 protection writes: evaluating a shop's signals (on the triggering events and
periodically), the alert, the automatic freeze, and staff lifting it. The disposal — staff
declaring 跑路处置 and the sweeper refunding every open order — is kadun.risk.runaway_disposal.

A triggering event (a breach recorded, a case escalated for the merchant's silence, a refund
request, a manual order paid) only schedules the shop's evaluation now (``runaway_poke``: one
deadline row, nothing computed in the event's transaction); the sweeper evaluates it and, while
the shop scores above zero or has orders queued, every KADUN_RUNAWAY_EVAL_HOURS again. A
withdrawal request is evaluated at once (``runaway_on_withdrawal_requested``), so the funds
app's gate (``merchants.gate.withdrawal_refusal``) sees a freeze it causes.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from kadun.core import clock
from kadun.deadlines.services import deadline_schedule
from kadun.notifications.services import notify
from kadun.risk import runaway_signals
from kadun.risk.errors import AlreadyFrozen, DisposalDeclared, FreezeNotFound, NotRiskStaff, ReasonRequired
from kadun.risk.models import RiskAlert
from kadun.risk.models_freeze import RunawayWatch, ShopFreeze
from kadun.risk.selectors import shop_subject
from kadun.risk.selectors_freeze import shop_frozen
from kadun.risk.services import alert_raise, can_resolve
from kadun.risk.states import AlertKind, AlertStatus, FreezeStatus

log = logging.getLogger("kadun.risk")
KIND_EVALUATE = "runaway_evaluate"  # subject: the shop id (a triggering event: now)
KIND_RECHECK = "runaway_recheck"  # subject: the shop id (periodically)
UNFREEZE_GRACE_HOURS = 72  # after staff lift a freeze, no automatic freeze for this long (alerts still raised)


@dataclass
class Evaluation:
    shop_id: int
    score: int
    signals: list
    alert_id: int | None = None
    frozen: bool = False
    froze_now: bool = False


def runaway_poke(*, shop_id: int | None) -> None:
    """A triggering event: evaluate the shop now (the sweeper's deadline, in the caller's
    transaction — it exists only if the event commits)."""
    if shop_id:
        deadline_schedule(kind=KIND_EVALUATE, subject_id=shop_id, due_at=clock.now(), rearm=True)


def runaway_on_withdrawal_requested(*, shop_id: int) -> Evaluation:
    """The funds app tells us a withdrawal was requested: recorded, and the shop evaluated at
    once (complaints burst + withdrawal; a freeze it causes blocks the withdrawal)."""
    now = clock.now()
    with transaction.atomic():
        _watch(shop_id)
        RunawayWatch.objects.filter(shop_id=shop_id).update(last_withdrawal_at=now)
        return runaway_evaluate(shop_id=shop_id, trigger="withdrawal_requested")


def _watch(shop_id: int) -> RunawayWatch:
    watch = RunawayWatch.objects.filter(shop_id=shop_id).first()
    if watch is None:
        try:
            with transaction.atomic():
                watch = RunawayWatch.objects.create(shop_id=shop_id)
        except IntegrityError:
            watch = RunawayWatch.objects.get(shop_id=shop_id)
    return watch


def runaway_evaluate(*, shop_id: int, trigger: str = "periodic") -> Evaluation:
    """Compute the shop's signals and score; at or above KADUN_RUNAWAY_ALERT_SCORE an open
    RiskAlert ``runaway`` about ``shop:<id>`` (one per shop; its details are refreshed), at or
    above KADUN_RUNAWAY_FREEZE_SCORE the shop is frozen automatically (unless staff lifted a
    freeze less than UNFREEZE_GRACE_HOURS ago)."""
    now = clock.now()
    watch = _watch(shop_id)
    score, signals = runaway_signals.evaluate(shop_id, now, withdrawal_at=watch.last_withdrawal_at)
    details = {"score": score, "trigger": trigger, "at": now.isoformat(), "signals": [s.as_dict() for s in signals],
               "alert_score": settings.KADUN_RUNAWAY_ALERT_SCORE, "freeze_score": settings.KADUN_RUNAWAY_FREEZE_SCORE}
    RunawayWatch.objects.filter(pk=watch.pk).update(score=score, signals=details, evaluated_at=now)
    result = Evaluation(shop_id=shop_id, score=score, signals=signals)
    if score >= settings.KADUN_RUNAWAY_ALERT_SCORE:
        alert, created = alert_raise(kind=AlertKind.RUNAWAY, subject=shop_subject(shop_id), shop_id=shop_id, details=details)
        if not created:
            RiskAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(details=details)
        result.alert_id = alert.pk
    result.frozen = shop_frozen(shop_id)
    if score >= settings.KADUN_RUNAWAY_FREEZE_SCORE and not result.frozen and not _in_grace(shop_id, now):
        names = "、".join(s.name for s in signals if s.on)
        try:
            shop_freeze(shop_id=shop_id, reason=f"风险分 {score} 达到自动冻结线 {settings.KADUN_RUNAWAY_FREEZE_SCORE}（{names}）",
                        score=score, details=details, alert_id=result.alert_id)
            result.froze_now = True
        except AlreadyFrozen:
            pass
        result.frozen = True
    queued = next((sig.facts.get("queued") for sig in signals if sig.name == "inactive_with_queue"), 0)
    if score > 0 or queued:
        # Periodically again. Two kinds take turns (a handler cannot re-arm its own deadline: the
        # sweeper marks it fired after the handler returns); a poke moves KIND_EVALUATE to now.
        after = KIND_EVALUATE if trigger == KIND_RECHECK else KIND_RECHECK
        deadline_schedule(kind=after, subject_id=shop_id, due_at=now + dt.timedelta(hours=settings.KADUN_RUNAWAY_EVAL_HOURS), rearm=True)
    return result


def _in_grace(shop_id: int, now: dt.datetime) -> bool:
    since = now - dt.timedelta(hours=UNFREEZE_GRACE_HOURS)
    return ShopFreeze.objects.filter(shop_id=shop_id, status=FreezeStatus.LIFTED, lifted_by__isnull=False, lifted_at__gte=since).exists()


def shop_freeze(*, shop_id: int, reason: str, actor=None, score: int = 0, details: dict | None = None, alert_id: int | None = None) -> ShopFreeze:
    """冻结: listings paused, withdrawals blocked, escrow held past auto-confirm (the gate and
    ``orders.release`` read the active freeze). By risk staff (``actor``) or automatically."""
    if actor is not None and not can_resolve(actor):
        raise NotRiskStaff()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    try:
        with transaction.atomic():
            freeze = ShopFreeze.objects.create(
                shop_id=shop_id, reason=reason[:500], score=score, details=details or {}, alert_id=alert_id,
                frozen_by=actor, frozen_at=clock.now(),
            )
            _listing(shop_id, paused=True)
            _tell_merchant(shop_id, "店铺已被平台风控冻结", f"原因：{reason}。冻结期间暂停销售和提现，买家款项由平台托管。如有异议请联系平台。")
    except IntegrityError:
        raise AlreadyFrozen() from None
    log.warning("shop #%s frozen (%s): %s", shop_id, "staff" if actor else "auto", reason)
    return freeze


def shop_unfreeze(*, shop_id: int, actor, note: str) -> ShopFreeze:
    """Risk staff lift a freeze (with the reason): selling and withdrawals resume, and the
    auto-confirmations held meanwhile fire (their deadlines re-armed). Refused once 跑路处置 is
    declared."""
    from kadun.orders.services import orders_autoconfirm_resume

    if not can_resolve(actor):
        raise NotRiskStaff()
    note = (note or "").strip()
    if not note:
        raise ReasonRequired()
    now = clock.now()
    with transaction.atomic():
        lifted = ShopFreeze.objects.filter(shop_id=shop_id, status=FreezeStatus.ACTIVE).update(
            status=FreezeStatus.LIFTED, lifted_by=actor, lifted_at=now, lift_note=note[:500],
        )
        if lifted != 1:
            if ShopFreeze.objects.filter(shop_id=shop_id, status=FreezeStatus.DISPOSING).exists():
                raise DisposalDeclared()
            raise FreezeNotFound()
        RiskAlert.objects.filter(kind=AlertKind.RUNAWAY, subject=shop_subject(shop_id), status=AlertStatus.OPEN).update(
            status=AlertStatus.RESOLVED, resolved_by=actor, resolved_at=now, resolution_note=f"解冻：{note}"[:500],
        )
        resumed = orders_autoconfirm_resume(shop_id=shop_id)
        _listing(shop_id, paused=False)
        _tell_merchant(shop_id, "店铺已解除冻结", f"平台已解除冻结：{note}")
    log.warning("shop #%s unfrozen by user #%s (%d auto-confirmations resumed)", shop_id, actor.pk, resumed)
    return ShopFreeze.objects.filter(shop_id=shop_id).order_by("-id").first()


def _listing(shop_id: int, *, paused: bool) -> None:
    """The storefront lists a shop only while none of its selling blocks is set: the freeze sets
    (and lifting it clears) its own bit, in the freeze's transaction."""
    from kadun.merchants.onboarding_states import SellBlock
    from kadun.merchants.services import shop_sell_block

    shop_sell_block(shop_id=shop_id, block=SellBlock.FROZEN, on=paused)


def _tell_merchant(shop_id: int, title: str, body: str) -> None:
    from kadun.merchants import selectors_runaway as merchant_reads

    brief = merchant_reads.shop_brief(shop_id)
    if brief:
        notify(user_id=brief["owner_id"], title=title, body=body, link=reverse("merchants:dashboard"), event="shop_frozen")
