"""Carrying out a remedy (an accepted offer, a decision that took effect) through the refund
and key services: never more than the order still holds, keys withdrawn when refunded in full,
a replacement from stock now or under a deadline-backed promise."""
from __future__ import annotations

import datetime as dt

from django.db.models import F

from kadun.cases import records
from kadun.cases.errors import InvalidCaseInput
from kadun.cases.models import Case
from kadun.cases.states import MONEY_KINDS, CaseStatus, Outcome, Party, Remedy
from kadun.core import clock
from kadun.core.money import fen_to_yuan
from kadun.inventory import selectors as inventory_reads
from kadun.inventory import services as inventory
from kadun.merchants.services import breach_record
from kadun.orders import services as orders
from kadun.orders.states import REFUND_REQUEST_SOURCES, OrderStatus

S = CaseStatus
ACTOR = {Party.BUYER: "buyer", Party.MERCHANT: "merchant", Party.STAFF: "staff", Party.SYSTEM: "system"}


def remaining(case: Case) -> int:
    order = case.order
    return max(0, order.amount - order.refunded_amount)


def claim(case: Case) -> int:
    """What a full refund pays: the amount the buyer claimed, within what the order still holds."""
    return min(case.amount_claimed or remaining(case), remaining(case))


def check(case: Case, remedy: str, amount: int | None, hours: int | None) -> tuple[int, int | None]:
    """Validate a remedy for this case; returns (amount in 分, replacement hours)."""
    order = case.order
    if remedy == Remedy.FULL_REFUND:
        if claim(case) <= 0:
            raise InvalidCaseInput("nothing_to_refund", "订单已无可退金额。")
        return claim(case), None
    if remedy == Remedy.PARTIAL_REFUND:
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            raise InvalidCaseInput("invalid_amount", "部分退款金额必须是以分为单位的整数。") from None
        if not 0 < amount < claim(case):
            raise InvalidCaseInput("invalid_amount", f"部分退款金额需大于0且小于 {fen_to_yuan(claim(case))} 元。")
        return amount, None
    if remedy == Remedy.REPLACEMENT:
        limit = order.policy_snapshot["rules"]["replacement_hours"]
        try:
            hours = int(hours)
        except (TypeError, ValueError):
            raise InvalidCaseInput("invalid_hours", "请填写补发时限（小时）。") from None
        if not 1 <= hours <= limit:
            raise InvalidCaseInput("invalid_hours", f"补发时限需在1到{limit}小时之间（按下单时的退款规则）。")
        if order.is_auto and not _keys(case):
            raise InvalidCaseInput("nothing_to_replace", "没有可补发的卡密。")
        return 0, hours
    if remedy == Remedy.REJECTED:
        return 0, None
    raise InvalidCaseInput("invalid_remedy", "请选择处理方案。")


def _keys(case: Case) -> list[int]:
    order = case.order
    if not order.is_auto:
        return []
    active = [k.pk for k in inventory_reads.active_keys_of_order(order)]
    return [k for k in active if not case.key_ids or k in case.key_ids]


def carry_out(case: Case, *, remedy: str, amount: int, hours: int | None, party: str, stage: str, note: str) -> None:
    """Execute ``remedy`` and close the case (or, for a replacement that stock can't cover now,
    wait for it under a deadline). The caller holds the order's lock and moved the case into a
    state ``carry_out`` closes from. ``stage`` makes the refund's idempotency key."""
    order = orders.order_lock(case.order_id)
    case.order = order
    frm = case.status
    if remedy in (Remedy.FULL_REFUND, Remedy.PARTIAL_REFUND) and (order.status == OrderStatus.REFUNDED or remaining(case) <= 0):
        records.close(case, frm=frm, outcome=Outcome.ORDER_REFUNDED, note="订单已全额退款，无需再执行")
        return
    if remedy == Remedy.FULL_REFUND:
        paid = refund(case, claim(case), party=party, stage=stage, note=note, withdraw=True)
        records.close(case, frm=frm, outcome=Outcome.REFUNDED, note=f"已全额退款 {fen_to_yuan(paid)} 元")
    elif remedy == Remedy.PARTIAL_REFUND:
        paid = refund(case, min(amount, remaining(case)), party=party, stage=stage, note=note, withdraw=False)
        records.close(case, frm=frm, outcome=Outcome.PARTIALLY_REFUNDED, note=f"已部分退款 {fen_to_yuan(paid)} 元")
    elif remedy == Remedy.REPLACEMENT:
        replace(case, hours=hours or 1, frm=frm)
    elif case.kind in MONEY_KINDS:
        records.close(case, frm=frm, outcome=Outcome.REJECTED, note="驳回，不予退款")
    else:
        records.close(case, frm=frm, outcome=Outcome.RESOLVED, note="平台已处理（不涉及退款）")


def refund(case: Case, amount: int, *, party: str, stage: str, note: str, withdraw: bool) -> int:
    order = case.order
    if withdraw and order.is_auto:
        keys = _keys(case)
        if keys:
            inventory.keys_withdraw(order=order, key_ids=keys, reason=inventory.WITHDRAWN_REFUNDED)
    orders.order_refund(
        order_id=order.pk, amount=amount, reason=f"case:{case.kind}", note=note[:200] or f"售后工单 {case.case_no}",
        sources=REFUND_REQUEST_SOURCES, key=f"case:{case.pk}:{stage}", actor=ACTOR.get(party, "system"),
    )
    Case.objects.filter(pk=case.pk).update(amount_refunded=F("amount_refunded") + amount)
    case.amount_refunded += amount
    return amount


def replace(case: Case, *, hours: int, frm: str) -> None:
    """补发 now from stock (auto keys), else the merchant must replace (or redo the service)
    within ``hours``, or the buyer is refunded in full by default."""
    order = case.order
    if order.is_auto:
        new_ids = inventory.keys_replace(order=order, key_ids=_keys(case))
        if new_ids is not None:
            records.close(case, frm=frm, outcome=Outcome.REPLACED, note=f"已补发 {len(new_ids)} 个新卡密，原卡密作废")
            return
    replace_by = clock.now() + dt.timedelta(hours=hours)
    records.move(case, frm=frm, to=S.AWAITING_REPLACEMENT, replace_by=replace_by)
    records.event(case, "replacement_promised", Party.SYSTEM, f"商家须在 {hours} 小时内补发（或重新完成服务），逾期系统自动全额退款")
    records.wait_for(case, party=Party.MERCHANT, kind=records.KIND_REPLACEMENT, at=replace_by)
    records.tell(case, Party.MERCHANT, "请在期限内补发", f"逾期未补发，系统将自动全额退款并记录违约（{replace_by:%Y-%m-%d %H:%M} UTC 前）。")


def replacement_fulfil(case: Case, *, note: str = "", actor=None) -> None:
    """The merchant keeps the promise: new keys from stock, or the service done again."""
    order = case.order
    if order.is_auto:
        new_ids = inventory.keys_replace(order=order, key_ids=_keys(case))
        if new_ids is None:
            raise InvalidCaseInput("out_of_stock", "库存不足，无法补发。请补充库存后再操作，逾期系统将自动全额退款。")
        text = f"商家已补发 {len(new_ids)} 个新卡密，原卡密作废"
    else:
        if len(note.strip()) < 2:
            raise InvalidCaseInput("note_required", "请填写重新完成服务的说明。")
        text = f"商家已重新完成服务：{note.strip()[:200]}"
    records.close(case, frm=S.AWAITING_REPLACEMENT, outcome=Outcome.REPLACED, note=text, party=Party.MERCHANT, actor=actor)


def replacement_overdue(wait) -> str:
    """Deadline: the promised replacement did not come — full refund and a breach on record."""
    case = records.lock(wait.case)
    if case.wait_id != wait.pk or case.status != S.AWAITING_REPLACEMENT:
        return "noop"
    paid = 0
    if case.order.status != OrderStatus.REFUNDED and claim(case) > 0:
        paid = refund(case, claim(case), party=Party.SYSTEM, stage="replacement_overdue", note="商家逾期未补发，系统自动退款", withdraw=True)
    Case.objects.filter(pk=case.pk).update(fault="merchant")
    case.fault = "merchant"
    records.close(case, frm=S.AWAITING_REPLACEMENT, outcome=Outcome.REFUNDED if paid else Outcome.ORDER_REFUNDED,
                  fault="merchant", note=records.DEFAULT_OUTCOMES[records.KIND_REPLACEMENT])
    breach_record(shop_id=case.shop_id, kind="replacement_promise_broken", order_id=case.order_id, note=f"售后工单 {case.case_no} 承诺补发未兑现")
    return "done"
