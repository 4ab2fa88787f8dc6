"""Refund requests: the buyer asks, the engine decides by the frozen rules, the merchant answers,
and deadlines pay out when a merchant stays silent or breaks a replacement promise."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation

from kadun.aftersales import engine, evidence
from kadun.aftersales import evidence_sources as _sources  # noqa: F401  (registers aftersales' evidence sources)
from kadun.aftersales.errors import (
    ActionNotAllowed, CaseOpenOnOrder, EscalateInstead, EvidenceRequired, InvalidRefundInput, RequestAlreadyOpen, RequestClosed, RequestLimitReached,
)
from kadun.aftersales.models import BuyerRefundStat, RefundEvent, RefundRequest
from kadun.aftersales.selectors import answered_request
from kadun.aftersales.states import OPEN, MerchantAction, Outcome, Reason, RequestStatus
from kadun.core import clock
from kadun.core.errors import InvalidTransition
from kadun.core.throttle import throttle
from kadun.deadlines.services import deadline_schedule
from kadun.evidence import services as evidence_log
from kadun.inventory import selectors as inventory_reads
from kadun.inventory import services as inventory
from kadun.notifications.services import notify
from kadun.orders import services as orders
from kadun.orders.errors import OutOfStock
from kadun.orders.states import REFUND_REQUEST_SOURCES
from kadun.risk import selectors as risk_reads
from kadun.risk import abuse
from kadun.risk import services as risk

if TYPE_CHECKING:
    from kadun.orders.models import Order

KIND_MERCHANT_RESPONSE = "refund_merchant_response"
KIND_REPLACEMENT_DUE = "refund_replacement_due"
MAX_IMAGES = evidence.MAX_IMAGES
sniff_image = evidence.sniff_image
check_images = evidence.check_images
_check_images = check_images


def _store_evidence(request: RefundRequest, party: str, images: list[tuple[bytes, str]], *, staged: list[str] | None = None) -> None:
    """Stage the images and record them in this transaction; published to storage after commit."""
    evidence.store(request, party, images, staged=staged)


def _zh(label) -> str:
    """Stored text (timelines, messages) is written in Chinese whatever the requester's language."""
    with translation.override("zh-hans"):
        return str(label)


def _event(request: RefundRequest, kind: str, actor: str, note: str = "") -> None:
    """The request's timeline row, and its evidence entry (subject: the request's order)."""
    event = RefundEvent.objects.create(request=request, kind=kind, actor=actor, note=note[:500], at=clock.now())
    evidence_log.record("aftersales.event", event)


def buyer_key(order: Order) -> str:
    if order.buyer_id:
        return f"user:{order.buyer_id}"
    return "contact:" + hashlib.sha256(order.contact.strip().lower().encode()).hexdigest()[:40]


def _stat(order: Order, **increments) -> None:
    key = buyer_key(order)
    BuyerRefundStat.objects.get_or_create(buyer_key=key)
    BuyerRefundStat.objects.filter(buyer_key=key).update(last_at=clock.now(), **{k: F(k) + v for k, v in increments.items()})


def _facts(order: Order, *, reason: str, key_ids: list[int], evidence_count: int) -> engine.Facts:
    keys = []
    if order.is_auto:
        rows = inventory_reads.keys_of_order_by_ids(order, key_ids) if key_ids else inventory_reads.active_keys_of_order(order)
        keys = [engine.KeyFact(id=k.pk, first_revealed_at=k.first_revealed_at, active=k.status == "sold") for k in rows]
        if key_ids and len(keys) != len(set(key_ids)):
            raise InvalidRefundInput("invalid_keys", "所选卡密不属于该订单。")
    return engine.Facts(
        reason=reason,
        snapshot=order.policy_snapshot,
        delivery=order.delivery,
        status=order.status,
        amount=order.amount,
        refunded=order.refunded_amount,
        unit_price=order.unit_price,
        paid_at=order.paid_at,
        delivered_at=order.delivered_at,
        no_reason_waived=order.no_reason_waived,
        milestone=order.milestone,
        keys=keys,
        used_before_reveal=inventory_reads.used_before_first_reveal(order, [k.id for k in keys]),
        evidence_count=evidence_count,
        now=clock.now(),
    )


def _lock_order(order_id: int) -> Order:
    return orders.order_lock(order_id)


def _pay(request: RefundRequest, order: Order, amount: int, *, actor: str, note: str, withdraw_keys: bool, unrevealed: bool = False) -> None:
    """Refund ``amount`` for the request, withdrawing its keys first (they are never sold again).
    Never more than is left to refund on the order. ``unrevealed``: the decision rests on the keys
    never having been revealed, so the withdrawal requires it."""
    amount = min(amount, order.amount - order.refunded_amount)
    if amount <= 0:
        RefundRequest.objects.filter(pk=request.pk).update(resolved_at=clock.now())
        return
    if withdraw_keys and order.is_auto and request.key_ids:
        # A refund decided because the keys were never revealed withdraws them only if they
        # still are: a reveal that got in first makes this fail, and with it the whole refund.
        inventory.keys_withdraw(
            order=order, key_ids=request.key_ids, unrevealed=unrevealed,
            reason=inventory.WITHDRAWN_UNREVEALED if unrevealed else inventory.WITHDRAWN_REFUNDED,
        )
    orders.order_refund(
        order_id=order.pk, amount=amount, reason=f"refund_request:{request.reason}", note=note, sources=REFUND_REQUEST_SOURCES,
        destination=request.destination, key=f"refund_request:{request.pk}", actor=actor,
    )
    RefundRequest.objects.filter(pk=request.pk).update(amount_refunded=amount, resolved_at=clock.now())
    _stat(order, approved=1, refunded_amount=amount)


def _throttle_requests(order: Order) -> None:
    """Request creation per order and per buyer per hour (page and API alike)."""
    message = "退款申请过于频繁，请在 {minutes} 分钟后再试。"
    throttle(group="refund_request_order", key=f"order:{order.pk}", rate=f"{settings.KADUN_REFUND_REQUESTS_PER_ORDER_PER_HOUR}/h", message=message)
    throttle(group="refund_request_buyer", key=buyer_key(order), rate=f"{settings.KADUN_REFUND_REQUESTS_PER_BUYER_PER_HOUR}/h", message=message)


def _check_request_limit(order: Order) -> None:
    """At most KADUN_REFUND_REQUESTS_MAX_PER_ORDER requests on one order (read under its lock)."""
    limit = settings.KADUN_REFUND_REQUESTS_MAX_PER_ORDER
    if RefundRequest.objects.filter(order=order).count() >= limit:
        raise RequestLimitReached(message=f"该订单已提交过 {limit} 次退款申请，已达上限。如仍有争议，请联系平台客服。")


def _refuse_repeat(order: Order, key_ids: list[int]) -> None:
    request = answered_request(order, key_ids)
    if request is not None:
        raise EscalateInstead(request_no=request.request_no)


def _require_evidence(facts: engine.Facts, decision: engine.Decision) -> None:
    """A request the frozen rules refuse only for want of evidence is a form error, not a
    permanent "not eligible" record: the engine is asked what it would decide with evidence."""
    if decision.outcome != Outcome.NOT_ELIGIBLE or facts.evidence_count:
        return
    if engine.decide(dataclasses.replace(facts, evidence_count=1)).outcome != Outcome.NOT_ELIGIBLE:
        raise EvidenceRequired()


def refund_request_create(
    *, order: Order, reason: str, statement: str = "", key_ids: list[int] | None = None, images=None,
    destination: str = "source", client_key: str = "",
) -> RefundRequest:
    """The buyer's request (the caller has checked the caller is the order's buyer). Decided at
    once by the engine: approved and paid in this same call, sent to the merchant with a response
    deadline, or refused with the reason — each citing the clauses of the order's frozen rules."""
    if reason not in Reason.values:
        raise InvalidRefundInput("invalid_reason", "请选择退款原因。")
    statement = (statement or "").strip()
    if len(statement) > 2000:
        raise InvalidRefundInput("statement_too_long", "说明不能超过2000字。")
    if destination not in ("source", "wallet") or (destination == "wallet" and not order.buyer_id):
        raise InvalidRefundInput("invalid_destination", "退款去向只能是原路退回；登录买家也可选择平台余额。")
    client_key = (client_key or "")[:64]
    if client_key:
        existing = RefundRequest.objects.filter(order=order, client_key=client_key).first()
        if existing is not None:
            return existing  # a replayed or double-clicked request: the first answer stands
    try:
        key_ids = sorted({int(k) for k in (key_ids or [])})
    except (TypeError, ValueError):
        raise InvalidRefundInput("invalid_keys", "所选卡密不属于该订单。") from None
    if any(not 0 < k < 2**63 for k in key_ids) or len(key_ids) > 1000:
        raise InvalidRefundInput("invalid_keys", "所选卡密不属于该订单。")
    images = _check_images(images)
    _throttle_requests(order)
    staged: list[str] = []  # evidence files written to staging, deleted if we roll back
    try:
        with transaction.atomic():
            order = _lock_order(order.pk)
            if RefundRequest.objects.filter(order=order, status__in=OPEN).exists():
                raise RequestAlreadyOpen()
            if "case" in orders.order_held_by(order.pk):
                raise CaseOpenOnOrder()
            _check_request_limit(order)
            _refuse_repeat(order, key_ids)
            facts = _facts(order, reason=reason, key_ids=key_ids, evidence_count=len(images))
            decision = engine.decide(facts)
            _require_evidence(facts, decision)
            status = {
                Outcome.APPROVE: RequestStatus.APPROVED,
                Outcome.ASK_MERCHANT: RequestStatus.AWAITING_MERCHANT,
                Outcome.NOT_ELIGIBLE: RequestStatus.NOT_ELIGIBLE,
            }[decision.outcome]
            now = clock.now()
            rules = order.policy_snapshot["rules"]
            request = RefundRequest.objects.create(
                request_no="RR" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper(),
                order=order, shop_id=order.shop_id, reason=reason, statement=statement, key_ids=[k.id for k in facts.keys],
                amount_requested=decision.amount, destination=destination, outcome=decision.outcome,
                clauses=list(decision.clauses), explanation=decision.explanation[:500], status=status,
                respond_by=now + dt.timedelta(hours=rules["merchant_response_hours"]) if status == RequestStatus.AWAITING_MERCHANT else None,
                client_key=client_key, created_at=now, resolved_at=now if status != RequestStatus.AWAITING_MERCHANT else None,
            )
            evidence_log.record("aftersales.request", request)
            if status == RequestStatus.AWAITING_MERCHANT:  # only what goes to the merchant is kept
                _store_evidence(request, "buyer", images, staged=staged)
            _event(request, "requested", "buyer", f"{_zh(Reason(reason).label)}：{statement[:200]}")
            _event(request, decision.outcome, "system", decision.explanation)
            _stat(order, requests=1)
            abuse.abuse_request_recorded(order=order, request=request, keys=facts.keys)  # 用后退款防护: the buyer's record
            if reason == Reason.INVALID_KEY:
                from kadun.risk.runaway import runaway_poke

                runaway_poke(shop_id=order.shop_id)  # 跑路 signals: keys of a batch reported invalid
            if decision.outcome == Outcome.APPROVE:
                _stat(order, instant=1)
                unrevealed = bool(facts.keys) and all(k.first_revealed_at is None for k in facts.keys)
                _pay(request, order, decision.amount, actor="system", note=decision.explanation, withdraw_keys=True, unrevealed=unrevealed)
            elif decision.outcome == Outcome.ASK_MERCHANT:
                orders.order_hold(order_id=order.pk, held=True)
                deadline_schedule(kind=KIND_MERCHANT_RESPONSE, subject_id=request.pk, due_at=request.respond_by)
                notify(
                    user_id=order.shop.owner_id, title=f"退款申请待处理：订单 {order.order_no}", event="refund_requested",
                    body=f"{_zh(Reason(reason).label)}。请在 {rules['merchant_response_hours']} 小时内处理，逾期系统将全额退款。",
                    link=reverse("aftersales:merchant_request", args=[request.request_no]),
                )
            else:
                _stat(order, not_eligible=1)
    except IntegrityError as exc:
        evidence.discard(staged)
        # Two requests at once: the unique "one open request per order" or client key won.
        if client_key:
            existing = RefundRequest.objects.filter(order=order, client_key=client_key).first()
            if existing is not None:
                return existing
        raise RequestAlreadyOpen() from exc
    except BaseException:
        evidence.discard(staged)
        raise
    request.refresh_from_db()
    return request


def _close(request: RefundRequest, *, frm, to: str, **changes) -> None:
    updated = RefundRequest.objects.filter(pk=request.pk, status__in=list(frm)).update(status=to, **changes)
    if updated != 1:
        raise RequestClosed()


def refund_request_respond(
    *, request: RefundRequest, shop, action: str, amount: int | None = None, hours: int | None = None, note: str = "", images=None
) -> RefundRequest:
    """The merchant's answer to a request awaiting them: approve in full, approve part, replace
    now from stock, promise a replacement by a deadline, or reject with a reason — only the
    answers the order's frozen rules allow (``engine.merchant_answers``), else ActionNotAllowed
    citing the clause, and nothing changes."""
    if request.order.shop_id != shop.pk:
        raise RequestClosed("refund_request_not_found", "退款申请不存在。", status=404)
    if action not in MerchantAction.values:
        raise InvalidRefundInput("invalid_action", "请选择处理方式。")
    note = (note or "").strip()[:1000]
    checked = _check_images(images)
    with transaction.atomic():
        order = _lock_order(request.order_id)
        request = RefundRequest.objects.get(pk=request.pk)
        if request.status != RequestStatus.AWAITING_MERCHANT:
            raise RequestClosed()
        answers = engine.merchant_answers(
            snapshot=order.policy_snapshot, delivery=order.delivery, reason=request.reason, cited=tuple(request.clauses or ())
        )
        if not answers.allows(action):
            raise ActionNotAllowed(message=answers.refusal(action))
        now = clock.now()
        if action == MerchantAction.APPROVE:
            _close(request, frm=[RequestStatus.AWAITING_MERCHANT], to=RequestStatus.APPROVED, merchant_note=note)
            _event(request, "approved", "merchant", note or "商家同意全额退款")
            _pay(request, order, request.amount_requested, actor="merchant", note="商家同意退款", withdraw_keys=True)
        elif action == MerchantAction.PARTIAL:
            try:
                amount = int(amount)
            except (TypeError, ValueError):
                raise InvalidRefundInput("invalid_amount", "部分退款金额必须是以分为单位的整数。") from None
            if not 0 < amount < request.amount_requested:
                raise InvalidRefundInput("invalid_amount", "部分退款金额需大于0且小于申请金额。")
            _close(request, frm=[RequestStatus.AWAITING_MERCHANT], to=RequestStatus.PARTIALLY_APPROVED, merchant_note=note)
            _event(request, "partially_approved", "merchant", note or "商家同意部分退款")
            _pay(request, order, amount, actor="merchant", note="商家同意部分退款", withdraw_keys=False)
        elif action == MerchantAction.REPLACE:
            _replace_now(request, order, note=note)
        elif action == MerchantAction.PROMISE:
            _promise(request, order, hours=hours, note=note, now=now)
        else:  # reject
            if len(note) < 5:
                raise InvalidRefundInput("reason_required", "拒绝退款需填写理由（至少5个字）。")
            _close(request, frm=[RequestStatus.AWAITING_MERCHANT], to=RequestStatus.REJECTED, merchant_note=note, resolved_at=now)
            _event(request, "rejected", "merchant", note)
            _stat(order, rejected=1)
            risk.lure_check(text=note, where="rejection_note", subject=f"order:{order.pk}", author_id=shop.owner_id, author_role="merchant",
                            shop_id=shop.pk, allow=risk_reads.order_allowances(order))  # 脱离平台交易: flagged for risk staff
        _store_evidence(request, "merchant", checked)
        if action != MerchantAction.PROMISE:
            orders.order_hold(order_id=order.pk, held=False)
    request.refresh_from_db()
    return request


def _promise(request: RefundRequest, order: Order, *, hours, note: str, now: dt.datetime) -> None:
    """A replacement promised within ``hours`` (at most the frozen ``replacement_hours``); the
    deadline refunds in full if it is not kept."""
    limit = order.policy_snapshot["rules"]["replacement_hours"]
    if not order.is_auto or not request.key_ids:
        raise InvalidRefundInput("invalid_action", "只有卡密订单可以承诺补发。")
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise InvalidRefundInput("invalid_hours", "请填写补发时限（小时）。") from None
    if not 1 <= hours <= limit:
        raise InvalidRefundInput("invalid_hours", f"补发时限需在1到{limit}小时之间（按下单时的退款规则）。")
    replace_by = now + dt.timedelta(hours=hours)
    _close(request, frm=[RequestStatus.AWAITING_MERCHANT], to=RequestStatus.AWAITING_REPLACEMENT, replace_by=replace_by, merchant_note=note)
    _event(request, "promised", "merchant", f"承诺在 {hours} 小时内补发，逾期系统自动全额退款")
    deadline_schedule(kind=KIND_REPLACEMENT_DUE, subject_id=request.pk, due_at=replace_by)


def _replace_now(request: RefundRequest, order: Order, *, note: str) -> None:
    if not order.is_auto or not request.key_ids:
        raise InvalidRefundInput("invalid_action", "只有卡密订单可以补发。")
    new_ids = inventory.keys_replace(order=order, key_ids=request.key_ids)
    if new_ids is None:
        raise OutOfStock(message="库存不足，无法立即补发。可以承诺限时补发，或退款。")
    _close(
        request, frm=[RequestStatus.AWAITING_MERCHANT, RequestStatus.AWAITING_REPLACEMENT], to=RequestStatus.REPLACED,
        merchant_note=note, resolved_at=clock.now(),
    )
    _event(request, "replaced", "merchant", f"已补发 {len(new_ids)} 个新卡密，原卡密作废")


def refund_request_fulfil(*, request: RefundRequest, shop) -> RefundRequest:
    """The merchant keeps a replacement promise: new keys from stock, before the deadline."""
    if request.order.shop_id != shop.pk:
        raise RequestClosed("refund_request_not_found", "退款申请不存在。", status=404)
    with transaction.atomic():
        order = _lock_order(request.order_id)
        request = RefundRequest.objects.get(pk=request.pk)
        if request.status != RequestStatus.AWAITING_REPLACEMENT:
            raise RequestClosed()
        _replace_now(request, order, note=request.merchant_note)
        orders.order_hold(order_id=order.pk, held=False)
    request.refresh_from_db()
    return request


def refund_request_withdraw(*, request: RefundRequest) -> RefundRequest:
    """The buyer takes the request back (the caller has checked it is the buyer)."""
    with transaction.atomic():
        _close(request, frm=OPEN, to=RequestStatus.WITHDRAWN, resolved_at=clock.now())
        _event(request, "withdrawn", "buyer", "买家撤回退款申请")
        orders.order_hold(order_id=request.order_id, held=False)
    request.refresh_from_db()
    return request


def key_verify_for_buyer(*, order: Order, key_id: int):
    """验货 on the buyer's request. The report is stored on the order; the secret is not shown."""
    report = inventory.key_verify(order=order, key_id=key_id)
    if report is None:
        raise InvalidTransition("no_checker", "该商品没有配置验货方式。")
    return report


def refund_preview(*, order: Order, reason: str, key_ids: list[int] | None = None) -> engine.Decision:
    """What the frozen rules would decide on a request now (nothing written): the clauses a
    case's drafted statement cites."""
    return engine.decide(_facts(order, reason=reason, key_ids=list(key_ids or []), evidence_count=1))


# The deadlines' written-down outcomes: kadun.aftersales.defaults (re-exported for the handlers).
from kadun.aftersales.defaults import merchant_silent, replacement_overdue, service_overdue  # noqa: E402,F401
