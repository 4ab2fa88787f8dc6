"""Writes for after-sales cases (售后工单). Each change locks the order (the one lock every change
of an order, its refund requests and its case takes), moves the case with a conditional update,
and writes its event, in one transaction; deadlines carry each waiting stage's default outcome.

Split by use case: opening and leaving a case here; the thread in ``thread``; offers in
``negotiation``; the platform's review, decisions and appeals in ``review``; carrying out a
remedy in ``remedies``."""
from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction

from kadun.aftersales import selectors as refund_reads
from kadun.cases import attachments, records, sla
from kadun.cases.errors import CaseAlreadyOpen, CaseClosed, CaseNotAllowed, InvalidCaseInput, TooEarly
from kadun.cases.models import Case
from kadun.cases.states import (
    KIND_REASON, MONEY_KINDS, OPEN, STARTS_WITH_PLATFORM, CaseKind, CaseStatus, Fault, Outcome, Party, Priority, Remedy,
)
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.orders import services as orders
from kadun.orders.states import REFUND_REQUEST_SOURCES, OrderStatus

S = CaseStatus
CASE_SOURCES = (*REFUND_REQUEST_SOURCES, OrderStatus.REFUNDED)


def _new_no(now: dt.datetime) -> str:
    return "CS" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper()


def _check_open(order, kind: str, remedy: str) -> None:
    if kind not in CaseKind.values:
        raise InvalidCaseInput("invalid_kind", "请选择工单类型。")
    if order.status not in CASE_SOURCES:
        raise InvalidCaseInput("order_not_eligible", "该订单尚未支付或已关闭，不能发起售后。")
    if kind in MONEY_KINDS:
        if order.status == OrderStatus.REFUNDED:
            raise InvalidCaseInput("order_refunded", "订单已全额退款；如对商家服务有意见，请选择「投诉商家」。")
        if remedy not in (Remedy.FULL_REFUND, Remedy.PARTIAL_REFUND, Remedy.REPLACEMENT):
            raise InvalidCaseInput("invalid_remedy", "请选择您的诉求：全额退款、部分退款或补发。")
    if order.status == OrderStatus.CONFIRMED and order.confirmed_at:
        from kadun.insurance.selectors import protection_ends_at

        limit = order.confirmed_at + dt.timedelta(days=settings.KADUN_CASE_OPEN_DAYS_AFTER_CONFIRM)
        limit = max(limit, protection_ends_at(order) or limit)  # 售后保险: the cover's protection period extends it
        if clock.now() > limit:
            raise InvalidCaseInput("case_window_over", f"确认收货已超过 {settings.KADUN_CASE_OPEN_DAYS_AFTER_CONFIRM} 天，不能再发起售后工单。")


def _check_not_doubled(order, kind: str, refund_request) -> None:
    """Read under the order's lock: a money case waits for an open refund request to be answered
    (the merchant is already asked, by its own deadline); a request escalates once."""
    if kind in MONEY_KINDS and "refund_request" in orders.order_held_by(order.pk):
        raise CaseAlreadyOpen("refund_request_open", "该订单有处理中的退款申请，请等待商家处理（逾期将按规则退款）或撤回后再发起售后工单。")
    if refund_request is not None and Case.objects.filter(refund_request=refund_request).exists():
        raise InvalidCaseInput("already_escalated", "该退款申请已申请过平台介入。")


def _statement(text: str) -> str:
    text = (text or "").strip()
    if len(text) < 5:
        raise InvalidCaseInput("statement_required", "请填写问题说明（至少5个字）。")
    if len(text) > 4000:
        raise InvalidCaseInput("statement_too_long", "说明不能超过4000字。")
    return text


def _amount(order, kind: str, remedy: str, amount) -> int:
    left = order.amount - order.refunded_amount
    if kind not in MONEY_KINDS or remedy != Remedy.PARTIAL_REFUND:
        return left if kind in MONEY_KINDS else 0
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise InvalidCaseInput("invalid_amount", "申请金额必须是以分为单位的整数。") from None
    if not 0 < amount <= left:
        raise InvalidCaseInput("invalid_amount", "申请金额需大于0且不超过订单可退金额。")
    return amount


def _keys(order, key_ids) -> list[int]:
    try:
        ids = sorted({int(k) for k in (key_ids or [])})
    except (TypeError, ValueError):
        raise InvalidCaseInput("invalid_keys", "所选卡密不属于该订单。") from None
    if ids and (not order.is_auto or any(not 0 < k < 2**63 for k in ids) or len(ids) > 1000):
        raise InvalidCaseInput("invalid_keys", "所选卡密不属于该订单。")
    return ids


def case_open(
    *, order, kind: str, statement: str, remedy: str = "", amount=None, key_ids=None, images=None, author=None,
    priority: str = Priority.NORMAL, refund_request=None,
) -> Case:
    """The buyer opens a case on their order (the caller checked they are its buyer). Disputes go
    to the merchant first (reply deadline); an inquiry or complaint, or a refund request the
    merchant already answered (申请平台介入), goes to the platform. The order's money is held
    while the case is open."""
    statement = _statement(statement)
    remedy = remedy or (Remedy.FULL_REFUND if kind in MONEY_KINDS else "")
    _check_open(order, kind, remedy)  # early, for a clear answer; checked again under the lock
    if priority not in Priority.values:
        priority = Priority.NORMAL
    checked = attachments.check(images)
    staged: list[str] = []
    try:
        with transaction.atomic():
            order = orders.order_lock(order.pk)
            _check_open(order, kind, remedy)
            _check_not_doubled(order, kind, refund_request)
            key_ids = _keys(order, key_ids or (refund_request.key_ids if refund_request else []))
            now = clock.now()
            to_platform = kind in STARTS_WITH_PLATFORM or refund_request is not None
            case = Case.objects.create(
                case_no=_new_no(now), order=order, shop_id=order.shop_id, kind=kind, priority=priority,
                status=S.PLATFORM_REVIEW if to_platform else S.AWAITING_MERCHANT,
                remedy_claimed=remedy, amount_claimed=_amount(order, kind, remedy, amount), key_ids=key_ids,
                reason=refund_request.reason if refund_request else KIND_REASON.get(kind, "other"), statement=statement,
                refund_request=refund_request, opened_at=now, platform_since=now if to_platform else None,
            )
            case.order = order
            evidence_log.record("cases.case", case)
            records.event(case, "opened", Party.BUYER, statement[:200], actor=author, case_kind=kind, remedy=remedy)
            from kadun.cases import thread

            thread.post_in(case, party=Party.BUYER, author=author, body=statement, images=checked, staged=staged, opening=True)
            orders.order_hold(order_id=order.pk, held=True)
            if to_platform:
                _reach_platform(case, note="买家申请平台介入" if refund_request else "工单已提交平台")
            else:
                hours, escalate = records.rules(case)["merchant_reply_hours"], records.rules(case)["merchant_escalate_hours"]
                records.wait_for(case, party=Party.MERCHANT, kind=records.KIND_MERCHANT, at=now + dt.timedelta(hours=escalate))
                records.tell(case, Party.MERCHANT, "新售后工单待回复", f"请在 {hours} 小时内回复；{escalate} 小时未回复将自动转平台介入。")
    except IntegrityError as exc:
        attachments.discard(staged)
        raise CaseAlreadyOpen() from exc
    except BaseException:
        attachments.discard(staged)
        raise
    return Case.objects.select_related("order", "shop").get(pk=case.pk)


def case_escalate_request(*, order, request_no: str, statement: str, images=None, author=None) -> Case:
    """申请平台介入 on a refund request the merchant rejected or approved only in part: a case
    carrying the request's history, evidence and the merchant's reasons, straight to the
    platform. A second request on the same keys is refused by aftersales and points here."""
    request = refund_reads.requests_of_order(order).filter(request_no=str(request_no)[:32]).first()
    if request is None or request.status not in refund_reads.ANSWERED:
        raise InvalidCaseInput("not_escalatable", "只有商家已拒绝或部分同意的退款申请可以申请平台介入。")
    remedy = Remedy.FULL_REFUND
    kind = CaseKind.KEY_PROBLEM if request.reason == "invalid_key" else (
        CaseKind.SERVICE_DISPUTE if request.reason == "not_delivered" else CaseKind.REFUND_DISPUTE
    )
    return case_open(
        order=order, kind=kind, statement=statement, remedy=remedy, amount=None, images=images, author=author,
        refund_request=request, key_ids=request.key_ids,
    )


def _reach_platform(case: Case, *, note: str, party: str = Party.BUYER, actor=None) -> None:
    """The case is now the platform's: its SLA clocks start."""
    now = clock.now()
    if case.platform_since is None:
        Case.objects.filter(pk=case.pk).update(platform_since=now)
        case.platform_since = now
    records.event(case, "escalated", party, note, actor=actor)
    records.wait_on_platform(case)
    sla.clocks_start(case, "first_response", "resolution")


def case_ask_platform(*, case: Case, party: str, author=None) -> Case:
    """Either side asks the platform to step in. From ``awaiting_merchant`` the buyer may only
    once the merchant's reply time (merchant_reply_hours) has passed without a reply."""
    with transaction.atomic():
        case = records.lock(case)
        if case.status == S.AWAITING_MERCHANT:
            if party != Party.BUYER:
                raise CaseNotAllowed()
            due = case.opened_at + dt.timedelta(hours=records.rules(case)["merchant_reply_hours"])
            if clock.now() < due:
                raise TooEarly(message=f"商家回复期限未到（{due:%Y-%m-%d %H:%M} UTC），暂不能申请平台介入。")
        elif case.status != S.NEGOTIATING:
            raise CaseClosed()
        frm = case.status
        from kadun.cases import negotiation

        negotiation.offers_close(case)
        records.move(case, frm=frm, to=S.PLATFORM_REVIEW)
        _reach_platform(case, note=("买家" if party == Party.BUYER else "商家") + "申请平台介入", party=party, actor=author)
        records.tell(case, Party.MERCHANT if party == Party.BUYER else Party.BUYER, "工单已转平台介入", "平台客服将介入处理，请留意工单进展。")
    return case


def merchant_silent(wait) -> str:
    """Deadline: the merchant did not reply in time — the case escalates to the platform by
    itself, and the silence is on the record."""
    case = records.lock(wait.case)
    if case.wait_id != wait.pk or case.status not in (S.AWAITING_MERCHANT, S.NEGOTIATING):
        return "noop"
    frm = case.status
    records.move(case, frm=frm, to=S.PLATFORM_REVIEW)
    records.event(case, "merchant_silent", Party.SYSTEM, records.DEFAULT_OUTCOMES[records.KIND_MERCHANT])
    _reach_platform(case, note=records.DEFAULT_OUTCOMES[records.KIND_MERCHANT], party=Party.SYSTEM)
    records.tell(case, Party.BUYER, "工单已转平台介入", "商家逾期未回复，平台将介入处理。")
    from kadun.risk.runaway import runaway_poke

    runaway_poke(shop_id=case.shop_id)  # 跑路 signals: the merchant's silence counts
    return "done"


def buyer_silent(wait) -> str:
    """Deadline: the buyer did not answer the merchant (no offer open) in time — the case closes
    on the merchant's position."""
    case = records.lock(wait.case)
    if case.wait_id != wait.pk or case.status != S.NEGOTIATING:
        return "noop"
    records.close(case, frm=S.NEGOTIATING, outcome=Outcome.LAPSED, fault=Fault.NONE, note=records.DEFAULT_OUTCOMES[records.KIND_FOLLOWUP])
    return "done"


def case_withdraw(*, case: Case, author=None) -> Case:
    """The buyer withdraws the case before a decision."""
    with transaction.atomic():
        case = records.lock(case)
        if case.status not in (S.AWAITING_MERCHANT, S.NEGOTIATING, S.PLATFORM_REVIEW):
            raise CaseClosed()
        from kadun.cases import negotiation

        negotiation.offers_close(case)
        records.close(case, frm=case.status, outcome=Outcome.WITHDRAWN, fault=Fault.NONE, note="买家撤回工单", party=Party.BUYER, actor=author)
        sla.clocks_meet(case, "first_response", "resolution")
    return case


def case_replacement_fulfil(*, case: Case, note: str = "", author=None) -> Case:
    """The merchant keeps the replacement promise of ``awaiting_replacement`` (the caller checked
    it is the order's merchant): new keys from stock (out_of_stock otherwise, nothing changes),
    or, for a service, done again as ``note`` says. The case closes as replaced."""
    from kadun.cases import remedies

    with transaction.atomic():
        case = records.lock(case)
        if case.status != S.AWAITING_REPLACEMENT:
            raise CaseClosed()
        remedies.replacement_fulfil(case, note=note, actor=author)
    return case


def case_close_if_order_refunded(case: Case) -> bool:
    """An order refunded in full by another path (a service deadline, say) leaves nothing to
    decide on a money case: it closes. Called under the order's lock."""
    if case.status in OPEN and case.kind in MONEY_KINDS and case.order.status == OrderStatus.REFUNDED:
        records.close(case, frm=case.status, outcome=Outcome.ORDER_REFUNDED, note="订单已全额退款，工单结案")
        return True
    return False
