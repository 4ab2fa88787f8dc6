"""Releasing and closing orders: expiry, confirmation (by the buyer or when the inspection window
ends), settlement, and the refund hold that stops confirmation.

Each change exists once, for many orders: the buyer's 确认收货 is the batch of one, the sweeper's
auto-confirmation the batch of up to 500. The orders are locked in id order (PostgreSQL), then
the update carries every guard of its ``Transition`` (kadun.orders.states) in its WHERE, then the
ledger locks accounts in id order: the order people's requests take their locks in, so batches
and requests wait for each other but never deadlock, and a check read before the update can't be
overtaken by a concurrent change.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.core.db import update_each
from kadun.core.money import fee_of, fen_to_yuan
from kadun.core.transitions import apply_many
from kadun.deadlines.services import deadline_schedule, deadlines_schedule_many
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.orders.errors import NotConfirmable
from kadun.orders.models import Order
from kadun.orders.records import events_write, locked
from kadun.orders.states import CONFIRM, EXPIRE, SETTLE, Actor, OrderStatus
from kadun.reputation import services as credit

S = OrderStatus
KIND_EXPIRE = "order_expire"
KIND_AUTOCONFIRM = "order_autoconfirm"
KIND_SETTLE = "order_settle"
SHOP_FROZEN = NotConfirmable("shop_frozen", "店铺已被平台风控冻结，款项由平台托管，暂不能确认收货。")
REFUND_PENDING = NotConfirmable("refund_pending", "订单有处理中的退款申请或售后工单，请等待处理完成或先撤回。")


def orders_expire(*, order_ids: list[int]) -> dict[int, str]:
    """Unpaid orders whose payment window ended are closed (a payment arriving later is refunded
    in full by ``order_on_paid``)."""
    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        ids = list(locked(order_ids, **EXPIRE.where()).values_list("pk", flat=True))
        if not ids:
            return outcomes
        if apply_many(Order, EXPIRE, pks=ids) != len(ids):
            raise RuntimeError("orders changed under their locks")
        events_write([(oid, EXPIRE.name, S.PENDING_PAYMENT, S.EXPIRED, "超时未支付，订单已关闭") for oid in ids])
    outcomes.update(dict.fromkeys(ids, "done"))
    return outcomes


def order_expire(*, order_id: int) -> str:
    return orders_expire(order_ids=[order_id])[order_id]


def orders_confirm(*, order_ids: list[int], actor: str = Actor.SYSTEM, user=None) -> dict[int, str]:
    """确认收货 for each delivered order not held by a refund request: its escrow (what is left
    after partial refunds) is released to the merchant's pending income less the platform fee,
    and its settlement is scheduled. Outcomes: done / held (an open request: re-armed by
    ``order_hold`` when it is settled) / noop (not delivered)."""
    from kadun.risk.selectors_freeze import frozen_shop_ids

    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        orders = list(locked(order_ids, status=S.DELIVERED).only("pk", "shop_id", "amount", "refunded_amount", "refund_hold"))
        outcomes.update({o.pk: "held" for o in orders if o.refund_hold})
        # 跑路 protection: a frozen shop's escrow is not released (re-armed when it is unfrozen,
        # ``orders_autoconfirm_resume``); the same guard is in the WHERE of the update below.
        frozen = set(Order.objects.filter(pk__in=[o.pk for o in orders], shop_id__in=frozen_shop_ids()).values_list("pk", flat=True))
        outcomes.update(dict.fromkeys(frozen, "frozen"))
        orders = [o for o in orders if not o.refund_hold and o.pk not in frozen]
        if not orders:
            return outcomes
        now = clock.now()
        fees = {o.pk: fee_of(o.amount - o.refunded_amount, settings.KADUN_PLATFORM_FEE_BPS) for o in orders}
        moved = update_each(
            Order, "fee", fees, where=CONFIRM.where(), where_not_in={"shop_id": frozen_shop_ids()}, **CONFIRM.changes(confirmed_at=now),
        )
        if moved != len(orders):
            raise RuntimeError("orders changed under their locks")
        ledger.entries_post([_release_entry(o, fees[o.pk]) for o in orders])
        note = "验货期结束，系统自动确认收货" if actor == Actor.SYSTEM else "买家确认收货"
        events_write([(o.pk, CONFIRM.name, S.DELIVERED, S.CONFIRMED, note) for o in orders], actor=actor, user=user)
        settle_at = now + dt.timedelta(hours=settings.KADUN_SETTLEMENT_DELAY_HOURS)
        deadlines_schedule_many(kind=KIND_SETTLE, due=dict.fromkeys(fees, settle_at))
        credit.scores_refresh(shop_ids={o.shop_id for o in orders})  # 信用分: recomputed soon, once per shop
    outcomes.update(dict.fromkeys(fees, "done"))
    return outcomes


def _release_entry(order: Order, fee: int) -> dict:
    released = order.amount - order.refunded_amount
    return {
        "kind": "release", "idempotency_key": f"release:order:{order.pk}", "ref_type": "order", "ref_id": order.pk,
        "lines": [(codes.escrow(order.pk), -released), (codes.merchant_pending(order.shop_id), released - fee), (codes.PLATFORM_FEES, fee)],
    }


def order_confirm(*, order_id: int, actor: str, user=None) -> None:
    """The buyer's 确认收货 (or the system's, when asked for one order)."""
    outcome = orders_confirm(order_ids=[order_id], actor=actor, user=user)[order_id]
    if outcome == "held":
        raise REFUND_PENDING
    if outcome == "frozen":
        raise SHOP_FROZEN
    if outcome != "done":
        raise NotConfirmable()


def orders_autoconfirm(*, order_ids: list[int]) -> dict[int, str]:
    """The sweeper: the inspection window of these orders ended."""
    return orders_confirm(order_ids=order_ids, actor=Actor.SYSTEM)


def order_autoconfirm(*, order_id: int) -> str:
    return orders_autoconfirm(order_ids=[order_id])[order_id]


def orders_settle(*, order_ids: list[int]) -> dict[int, str]:
    """Settlement delay over: what each order still has in the merchant's pending income (after
    any refund taken from it) pays the shop's debt first (先行赔付 the platform advanced), and the
    rest becomes available — one entry per order. An order held by an open case waits ("held";
    re-armed by ``order_hold`` when the case closes)."""
    from kadun.ledger.merchant_funds import debts_lock
    from kadun.ledger.selectors import pending_moved_for

    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        orders = list(locked(order_ids, status=S.CONFIRMED, settled_at__isnull=True).only("pk", "shop_id", "refund_hold"))
        outcomes.update({o.pk: "held" for o in orders if o.refund_hold})
        orders = [o for o in orders if not o.refund_hold]
        if not orders:
            return outcomes
        ids = [o.pk for o in orders]
        if apply_many(Order, SETTLE, pks=ids, settled_at=clock.now()) != len(ids):
            raise RuntimeError("orders changed under their locks")
        moved = pending_moved_for(ref_type="order", ref_ids=ids)
        owed = debts_lock(shop_ids=[o.shop_id for o in orders])  # 先行赔付 debt: recovered first
        entries, events, recovered_by_order = [], [], {}
        for o in orders:
            pending = codes.merchant_pending(o.shop_id)
            amount = max(moved.get((o.pk, pending)) or 0, 0)
            recovered = min(amount, owed.get(o.shop_id, 0))
            if recovered:
                owed[o.shop_id] -= recovered
                recovered_by_order[o.pk] = (o.shop_id, recovered)
            if amount > 0:
                entries.append({
                    "kind": "settle", "idempotency_key": f"settle:order:{o.pk}", "ref_type": "order", "ref_id": o.pk,
                    "lines": [(pending, -amount), (codes.merchant_debt(o.shop_id), recovered), (codes.merchant_available(o.shop_id), amount - recovered)],
                })
            note = f"结算期结束，{fen_to_yuan(amount - recovered)} 元转入商家可用余额"
            events.append((o.pk, SETTLE.name, "", "", note + (f"，{fen_to_yuan(recovered)} 元抵扣商家欠款" if recovered else "")))
        ledger.entries_post(entries)
        if recovered_by_order:  # 售后保险: what the shop owed the pool goes back into it first
            from kadun.insurance.services import recoveries_from_settlement

            recoveries_from_settlement(recovered=recovered_by_order)
        events_write(events)
    outcomes.update(dict.fromkeys(ids, "done"))
    return outcomes


def order_settle(*, order_id: int) -> str:
    return orders_settle(order_ids=[order_id])[order_id]


# Who else may hold an order's money besides the caller (an open refund request, an open case):
# apps register a check here when they are ready; a hold ends only when none of them holds.
HOLDERS: dict[str, object] = {}


def hold_register(name: str, holds) -> None:
    """``holds(order_id) -> bool``: whether this app still holds the order (read under its lock)."""
    HOLDERS[name] = holds


# Who wants to know when an order is refunded in full (an open case has nothing left to decide):
# called in the refund's transaction with the order id and the refund's idempotency key.
REFUNDED_LISTENERS: list = []


def refunded_listen(listener) -> None:
    REFUNDED_LISTENERS.append(listener)


def order_held_by(order_id: int) -> list[str]:
    return [name for name, holds in HOLDERS.items() if holds(order_id)]


def order_hold(*, order_id: int, held: bool) -> None:
    """An open refund request or case holds the order's money: no confirmation and no settlement
    while it is open (the caller holds the order's lock). Releasing is refused silently while
    another holder (``HOLDERS``) still holds it. When the hold ends and the inspection window or
    the settlement delay has passed meanwhile, auto-confirm or settlement fires at once."""
    if not held and order_held_by(order_id):
        return
    Order.objects.filter(pk=order_id).update(refund_hold=held)
    if not held:
        order = Order.objects.only("pk", "status", "delivered_at", "inspection_hours", "confirmed_at", "settled_at").get(pk=order_id)
        if order.status == S.DELIVERED and order.inspection_ends_at:
            deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=max(order.inspection_ends_at, clock.now()), rearm=True)
        elif order.status == S.CONFIRMED and order.settled_at is None and order.confirmed_at:
            settle_at = order.confirmed_at + dt.timedelta(hours=settings.KADUN_SETTLEMENT_DELAY_HOURS)
            deadline_schedule(kind=KIND_SETTLE, subject_id=order.pk, due_at=max(settle_at, clock.now()), rearm=True)


def orders_autoconfirm_resume(*, shop_id: int) -> int:
    """The shop was unfrozen: each delivered order not held by a refund request or case gets its
    auto-confirmation back (at the end of its inspection window, or now if it has passed).
    Returns how many were re-armed."""
    now = clock.now()
    orders = Order.objects.filter(shop_id=shop_id, status=S.DELIVERED, refund_hold=False).only("pk", "delivered_at", "inspection_hours")
    count = 0
    for order in orders.iterator(chunk_size=1000):
        if order.inspection_ends_at:
            deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=max(order.inspection_ends_at, now), rearm=True)
            count += 1
    return count
