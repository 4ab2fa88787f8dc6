"""处罚 (一次警告、二次封号): proposing, confirming or dismissing a violation, and the ban's
settlement. Appeals are in ``penalties_appeals``; both are re-exported by nothing else — callers
import this module (``from kadun.merchants import penalties``).

A first confirmed violation is a warning (警告: −KADUN_CREDIT_WARNING_POINTS on the score, shown
on the shop's pages for KADUN_CREDIT_WARNING_DAYS, an optional fine from the deposit to the buyers
harmed). A second within KADUN_PENALTY_REPEAT_DAYS is a ban (封号: listings off, no new orders,
withdrawals frozen until every order's after-sales window and case has closed; then what is left,
less claims, is paid out). The gravest kinds (penalty_rules.GRAVEST) ban at once. Breaches past a
threshold (KADUN_PENALTY_THRESHOLDS) become proposals for risk staff."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.merchants import selectors_penalties as reads
from kadun.merchants.models import Shop
from kadun.merchants.models_penalties import Penalty, PenaltyEvent
from kadun.merchants.penalties_errors import NotPenaltyStaff, PenaltyNotPending, ReasonRequired, UnknownViolation
from kadun.merchants.penalty_rules import BREACH_THRESHOLD_KIND, GRAVEST, VIOLATIONS, Level, PenaltyStatus

P = PenaltyStatus
KIND_BAN_SETTLE = "penalty_ban_settle"
PENALTY_ROLES = ("risk",)  # and admin (has_staff_role)


def can_decide(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_staff_role(*PENALTY_ROLES))


def _staff(user) -> None:
    if not can_decide(user):
        raise NotPenaltyStaff()


def event(penalty_id: int, kind: str, *, actor=None, note: str = "", **data) -> None:
    from kadun.evidence import services as evidence

    row = PenaltyEvent.objects.create(penalty_id=penalty_id, kind=kind, actor=actor, note=note[:2000], data=data, at=clock.now())
    evidence.record("merchants.penalty_event", row)


def _score_refresh(shop_id: int) -> None:
    from kadun.reputation import services as reputation

    reputation.score_refresh(shop_id=shop_id)


def penalty_propose(*, shop_id: int, kind: str, evidence: dict, note: str = "", proposed_by=None, rule: str = "") -> Penalty:
    """A violation proposed for risk staff (by a threshold, or by staff). One open proposal per
    shop and kind: a second one adds its evidence to the first."""
    if kind not in VIOLATIONS:
        raise UnknownViolation()
    if proposed_by is not None:
        _staff(proposed_by)
    evidence = {k: sorted(set(int(x) for x in v)) for k, v in (evidence or {}).items() if v}
    with transaction.atomic():
        try:
            with transaction.atomic():
                penalty = Penalty.objects.create(shop_id=shop_id, kind=kind, rule=rule or f"penalties.{kind}", evidence=evidence,
                                                 note=note[:2000], proposed_by=proposed_by, created_at=clock.now())
        except IntegrityError:
            penalty = Penalty.objects.select_for_update().get(shop_id=shop_id, kind=kind, status=P.PROPOSED)
            merged = {k: sorted(set(penalty.evidence.get(k, [])) | set(evidence.get(k, []))) for k in set(penalty.evidence) | set(evidence)}
            Penalty.objects.filter(pk=penalty.pk).update(evidence=merged)
            penalty.evidence = merged
            event(penalty.pk, "evidence_added", actor=proposed_by, note=note, evidence=evidence)
            return penalty
        event(penalty.pk, "proposed", actor=proposed_by, note=note, evidence=evidence, rule=penalty.rule)
    return penalty


def _level_for(shop_id: int, kind: str, now: dt.datetime) -> str:
    if kind in GRAVEST:
        return Level.BAN
    repeat_since = now - dt.timedelta(days=settings.KADUN_PENALTY_REPEAT_DAYS)
    return Level.BAN if reads.confirmed_since(shop_id, repeat_since) else Level.WARNING


def penalty_confirm(*, penalty_id: int, staff, reason: str, fine: int = 0) -> Penalty:
    """Risk staff confirm a proposal: a warning, or a ban (second within the repeat window, or a
    gravest kind). The shop row is locked first, so two confirmations of one shop are counted
    one after the other (the second sees the first and bans)."""
    _staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    fine = max(0, int(fine or 0))
    with transaction.atomic():
        shop_id = Penalty.objects.filter(pk=penalty_id).values_list("shop_id", flat=True).first()
        if shop_id is None:
            raise PenaltyNotPending()
        Shop.objects.select_for_update().filter(pk=shop_id).first()
        kind = Penalty.objects.values_list("kind", flat=True).get(pk=penalty_id)
        now = clock.now()
        level = _level_for(shop_id, kind, now)
        changes = dict(status=P.CONFIRMED, level=level, decided_by=staff, decision_reason=reason[:2000], decided_at=now, fine=fine,
                       appeal_until=now + dt.timedelta(days=settings.KADUN_PENALTY_APPEAL_DAYS))
        if level == Level.BAN:
            changes["ban_settles_at"] = now + dt.timedelta(days=settings.KADUN_PENALTY_BAN_SETTLE_DAYS)
        if not Penalty.objects.filter(pk=penalty_id, status=P.PROPOSED).update(**changes):
            raise PenaltyNotPending()
        penalty = Penalty.objects.get(pk=penalty_id)
        event(penalty.pk, "confirmed", actor=staff, note=reason, level=level, fine=fine)
        if level == Level.BAN:
            _ban_apply(penalty)
        if fine:
            penalty_fine_pay(penalty=penalty)
        _score_refresh(shop_id)
    return penalty


def penalty_dismiss(*, penalty_id: int, staff, reason: str) -> None:
    _staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        now = clock.now()
        if not Penalty.objects.filter(pk=penalty_id, status=P.PROPOSED).update(
                status=P.DISMISSED, decided_by=staff, decision_reason=reason[:2000], decided_at=now):
            raise PenaltyNotPending()
        event(penalty_id, "dismissed", actor=staff, note=reason)


def penalty_fine_pay(*, penalty: Penalty) -> bool:
    """The fine, out of the shop's deposit (``merchants.deposit.deposit_pay``), to the buyers
    harmed — the account holders of the orders in the penalty's evidence, in equal parts (the
    odd 分 to the first) — or to the platform when no order names an account holder (guest
    orders, or a penalty without orders). What the deposit cannot cover is 先行赔付 to a buyer or
    a debt for a fine, as ``deposit_pay`` books it. Each part's idempotency key is
    ``penalty_fine:<id>:<n>``: confirming twice never pays twice."""
    from kadun.merchants.deposit import deposit_pay
    from kadun.orders.selectors import buyers_of_orders

    order_ids = [int(o) for o in penalty.evidence.get("orders", [])]
    buyers = buyers_of_orders(order_ids)  # [(order_id, buyer_id)], one per buyer, account holders only
    if not buyers:
        deposit_pay(shop_id=penalty.shop_id, amount=penalty.fine, to="platform", reason=f"处罚 #{penalty.pk}",
                    ref_type="penalty", ref_id=penalty.pk, key=f"penalty_fine:{penalty.pk}:0")
    else:
        share, odd = divmod(penalty.fine, len(buyers))
        for n, (order_id, buyer_id) in enumerate(buyers):
            amount = share + (odd if n == 0 else 0)
            if amount:
                deposit_pay(shop_id=penalty.shop_id, amount=amount, to="buyer", buyer_id=buyer_id, order_id=order_id,
                            reason=f"处罚 #{penalty.pk}", ref_type="penalty", ref_id=penalty.pk, key=f"penalty_fine:{penalty.pk}:{n}")
    Penalty.objects.filter(pk=penalty.pk).update(fine_paid=True)
    penalty.fine_paid = True
    event(penalty.pk, "fine_paid", fine=penalty.fine)
    return True


def _ban_apply(penalty: Penalty) -> None:
    """封号: the listings go off (the shop is inactive: storefront and checkout skip it), the gate
    refuses sales and withdrawals (gate checks), and the settlement deadline is set."""
    from kadun.deadlines.services import deadline_schedule

    Shop.objects.filter(pk=penalty.shop_id).update(is_active=False)
    deadline_schedule(kind=KIND_BAN_SETTLE, subject_id=penalty.pk, due_at=penalty.ban_settles_at)
    event(penalty.pk, "banned", listings_off=True, ban_settles_at=penalty.ban_settles_at.isoformat())


def ban_lift(*, penalty: Penalty) -> None:
    """An overturned ban: if no other ban stands, the shop sells again."""
    if not reads.is_banned(penalty.shop_id):
        Shop.objects.filter(pk=penalty.shop_id).update(is_active=True)
        event(penalty.pk, "ban_lifted")


def ban_settle(*, penalty_id: int) -> str:
    """The ban's settlement date came: once no order is still in its after-sales window and no
    case is open, what is left is paid out (``ban_payout``); otherwise try again a day later."""
    from kadun.cases import selectors as cases
    from kadun.deadlines.services import deadline_schedule
    from kadun.orders import selectors as orders

    penalty = Penalty.objects.filter(pk=penalty_id, status=P.CONFIRMED, level=Level.BAN, settled_at__isnull=True).first()
    if penalty is None:
        return "noop"
    shop = Shop.objects.get(pk=penalty.shop_id)
    now = clock.now()
    if orders.shop_has_open_orders(shop_id=shop.pk) or cases.merchant_cases(shop=shop, open_only=True).exists():
        later = now + dt.timedelta(days=1)
        Penalty.objects.filter(pk=penalty.pk).update(ban_settles_at=later)
        # This runs inside the deadline's own firing: re-arm it once the sweeper has marked it fired.
        transaction.on_commit(lambda: deadline_schedule(kind=KIND_BAN_SETTLE, subject_id=penalty.pk, due_at=later, rearm=True))
        event(penalty.pk, "settlement_postponed", note="仍有订单在售后期内或工单未结束")
        return "postponed"
    if not Penalty.objects.filter(pk=penalty.pk, settled_at__isnull=True).update(settled_at=now):
        return "noop"
    event(penalty.pk, "settled", paid_out=ban_payout(shop_id=shop.pk, penalty_id=penalty.pk))
    return "done"


def ban_payout(*, shop_id: int, penalty_id: int) -> bool:
    """Pay out what is left of the banned shop's balance: the deposit back to available, the debt
    recovered from it, the rest as one withdrawal risk staff review (``ban_settlement``).
    Claims: none are open by now (``ban_settle`` waits for them). Returns whether a payout was
    started (False: nothing left, or no verified payout account yet)."""
    from kadun.merchants.ban_settlement import ban_payout_start

    return ban_payout_start(shop_id=shop_id, penalty_id=penalty_id) is not None


def thresholds_check(*, shop_id: int, breach_kind: str) -> Penalty | None:
    """A breach was recorded: if the shop's breaches of that family now reach their threshold
    (KADUN_PENALTY_THRESHOLDS: count within days), propose a penalty citing them."""
    kind = BREACH_THRESHOLD_KIND.get(breach_kind)
    rule = settings.KADUN_PENALTY_THRESHOLDS.get(kind or "")
    if not rule:
        return None
    family = [b for b, k in BREACH_THRESHOLD_KIND.items() if k == kind]
    breaches = reads.breaches_of(shop_id, kinds=family, since=clock.now() - dt.timedelta(days=rule["days"]))
    if len(breaches) < rule["count"]:
        return None
    note = f"{rule['days']} 天内 {len(breaches)} 次（阈值 {rule['count']} 次）"
    evidence = {"breaches": [b.pk for b in breaches], "orders": [b.order_id for b in breaches if b.order_id]}
    return penalty_propose(shop_id=shop_id, kind=kind, evidence=evidence, note=note, rule=f"penalties.thresholds.{kind}")
