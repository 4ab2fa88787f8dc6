"""提现: a shop's available balance paid out to its payout account.

available → ``merchant:<id>:payout_in_flight`` at the request (the floored accounts refuse an
overdraft, so concurrent requests can never take available below zero); on the provider's
success in_flight → ``external:<provider>`` (less the fee, to ``platform:fees``); on failure or
rejection in_flight → available. Every state change is a conditional update with its event row
and ledger entry in one transaction; the gateway call is an outbox message sent after commit;
a result applies once (the update's WHERE), so a replayed notification pays nothing twice.

Risk holds send a request to staff review (``review_reasons``); otherwise it is approved at once
under a per-day limit. Refusals (frozen, banned, no verified payout account …) come from
``gate.withdrawal_refusal``."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from kadun.core import clock
from kadun.core.errors import InvalidInput, InvalidTransition
from kadun.core.money import fen_to_yuan
from kadun.deadlines.registry import handler
from kadun.deadlines.services import deadline_schedule
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.merchants import gate
from kadun.merchants.errors_funds import NoPayoutAccount, PayoutAccountNotFound, WithdrawalNotFound, WithdrawalRefused
from kadun.merchants.models_funds import PayoutAccount, Withdrawal, WithdrawalEvent
from kadun.merchants.payout_accounts import payout_account_secret, payout_account_verified
from kadun.merchants.states_funds import AccountKind
from kadun.merchants.states_funds import WithdrawalStatus as W
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.payments import providers
from kadun.payments.errors import BadNotification
from kadun.payments.providers.base import PayoutRequest
from kadun.payments.registry import on_payout_result

KIND_PAYOUT_CHECK = "payout_check"


def fee_for(amount: int) -> int:
    return max(amount * settings.KADUN_WITHDRAWAL_FEE_BPS // 10_000, settings.KADUN_WITHDRAWAL_FEE_MIN)


def _event(w: Withdrawal, kind: str, frm: str, to: str, note: str = "", actor=None) -> None:
    from kadun.evidence import services as evidence

    row = WithdrawalEvent.objects.create(withdrawal=w, kind=kind, from_status=frm, to_status=to, note=note[:200], actor=actor, at=clock.now())
    evidence.record("merchants.withdrawal_event", row)


def _move(w: Withdrawal, frm, to: str, *, kind: str, note: str = "", actor=None, **changes) -> None:
    """The conditional update of one withdrawal (0 rows → InvalidTransition) with its event."""
    frm = [frm] if isinstance(frm, str) else list(frm)
    if not Withdrawal.objects.filter(pk=w.pk, status__in=frm).update(status=to, **changes):
        raise InvalidTransition("withdrawal_changed", "提现单状态已变化，请刷新。")
    _event(w, kind, w.status, to, note, actor)
    w.status = to
    for k, v in changes.items():
        setattr(w, k, v)


def no_verified_account_check(shop_id: int):
    """gate.WITHDRAW_CHECKS: a shop needs an active payout account whose holder is its verified name."""
    if not any(payout_account_verified(a) for a in PayoutAccount.objects.filter(shop_id=shop_id, is_active=True)):
        return NoPayoutAccount()
    return None


def review_reasons(*, shop, amount: int) -> list[str]:
    """Why a withdrawal needs a person to look at it (empty: approved automatically)."""
    from kadun.aftersales import selectors as refunds
    from kadun.cases import selectors as cases
    from kadun.ledger.selectors import balance_of
    from kadun.risk.selectors_freeze import shop_frozen

    reasons = []
    if shop_frozen(shop.pk):
        reasons.append("frozen")
    remaining = balance_of(codes.merchant_available(shop.pk)) - amount + balance_of(codes.merchant_deposit(shop.pk))
    disputed = cases.merchant_cases(shop=shop, open_only=True).aggregate(s=Sum("amount_claimed"))["s"] or 0
    if disputed > remaining:
        reasons.append("open_cases")
    since = clock.now() - dt.timedelta(days=settings.KADUN_WITHDRAWAL_BURST_DAYS)
    complaints = (cases.merchant_cases(shop=shop).filter(opened_at__gte=since).count()
                  + refunds.merchant_queue(shop=shop, open_only=False).filter(created_at__gte=since).count())
    if complaints >= settings.KADUN_WITHDRAWAL_BURST_COUNT:
        reasons.append("complaint_burst")
    young = shop.created_at > clock.now() - dt.timedelta(days=settings.KADUN_WITHDRAWAL_NEW_SHOP_DAYS)
    if young and not Withdrawal.objects.filter(shop=shop, status=W.SUCCEEDED).exists():
        reasons.append("first_withdrawal")
    day_start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    today = (Withdrawal.objects.filter(shop=shop, created_at__gte=day_start).exclude(status__in=[W.FAILED, W.REJECTED])
             .aggregate(s=Sum("amount"))["s"] or 0)
    if today + amount > settings.KADUN_WITHDRAWAL_AUTO_DAILY_LIMIT:
        reasons.append("daily_limit")
    return reasons


REASON_LABELS = {
    "frozen": "店铺已被风控冻结", "open_cases": "未结售后工单争议金额超过提现后余额", "complaint_burst": "近期投诉/退款申请集中",
    "first_withdrawal": "新店铺首次提现", "daily_limit": "超过每日自动审核额度",
    "ban_settlement": "封号结算：店铺已封禁，最后一笔余额",
}


def withdrawal_request(*, shop_id: int, account_id: int, amount: int, key: str, user=None) -> tuple[Withdrawal, bool]:
    """Ask for a withdrawal of ``amount`` 分 (the fee comes out of it). Idempotent on ``key``
    (the Idempotency-Key): the same key returns the first withdrawal, created False."""
    from kadun.merchants.models import Shop

    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_amount", "金额无效。") from None
    if amount < settings.KADUN_WITHDRAWAL_MIN:
        raise InvalidInput("withdrawal_too_small", f"单笔提现不少于 {fen_to_yuan(settings.KADUN_WITHDRAWAL_MIN)} 元。")
    if not key or len(key) > 80:
        raise InvalidInput("idempotency_key_required", "需要 Idempotency-Key（1–80 个字符）。")
    idem = f"{shop_id}:{key}"
    existing = Withdrawal.objects.filter(idempotency_key=idem).first()
    if existing is not None:
        return existing, False
    from kadun.risk.runaway import runaway_on_withdrawal_requested

    runaway_on_withdrawal_requested(shop_id=shop_id)  # 跑路 signals first: a freeze it causes refuses this very withdrawal
    refusal = gate.withdrawal_refusal(shop_id)
    if refusal is not None:
        raise refusal
    account = PayoutAccount.objects.filter(pk=account_id, shop_id=shop_id, is_active=True).first()
    if account is None:
        raise PayoutAccountNotFound()
    if not payout_account_verified(account):
        raise NoPayoutAccount()
    try:
        with transaction.atomic():
            shop = Shop.objects.select_for_update().get(pk=shop_id)  # one shop's requests in turn: the review counts hold
            reasons = review_reasons(shop=shop, amount=amount)
            status = W.REVIEW if reasons else W.APPROVED
            w = Withdrawal.objects.create(
                shop_id=shop_id, withdrawal_no="W" + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper(),
                account=account, amount=amount, fee=fee_for(amount), status=status,
                provider=providers.payout_provider_for(account.kind).name, idempotency_key=idem, review_reasons=reasons,
                created_at=clock.now(), decided_at=None if reasons else clock.now(),
            )
            ledger.entry_post(  # InsufficientFunds rolls all of it back
                kind="withdrawal", idempotency_key=f"withdrawal:{w.pk}",
                lines=[(codes.merchant_available(shop_id), -amount), (codes.merchant_payout_in_flight(shop_id), amount)],
                ref_type="withdrawal", ref_id=w.pk, memo=f"提现 {w.withdrawal_no}",
            )
            _event(w, "requested", "", status, "、".join(REASON_LABELS[r] for r in reasons), user)
            if not reasons:
                outbox_enqueue(topic="payout_send", payload={"withdrawal_id": w.pk})
    except IntegrityError:
        existing = Withdrawal.objects.filter(idempotency_key=idem).first()
        if existing is None:
            raise
        return existing, False
    return w, True


def _get(withdrawal_id: int) -> Withdrawal:
    w = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if w is None:
        raise WithdrawalNotFound()
    return w


def withdrawal_approve(*, withdrawal_id: int, staff) -> Withdrawal:
    from kadun.risk.selectors_freeze import shop_frozen

    with transaction.atomic():
        w = _get(withdrawal_id)
        if shop_frozen(w.shop_id):
            raise WithdrawalRefused("shop_frozen", "店铺已被风控冻结，解冻前不能批准提现。")
        _move(w, W.REVIEW, W.APPROVED, kind="approved", actor=staff, reviewer=staff, decided_at=clock.now())
        outbox_enqueue(topic="payout_send", payload={"withdrawal_id": w.pk})
    return w


def _return_money(w: Withdrawal, kind: str, memo: str) -> None:
    ledger.entry_post(
        kind=kind, idempotency_key=f"{kind}:{w.pk}",
        lines=[(codes.merchant_payout_in_flight(w.shop_id), -w.amount), (codes.merchant_available(w.shop_id), w.amount)],
        ref_type="withdrawal", ref_id=w.pk, memo=memo,
    )


def withdrawal_reject(*, withdrawal_id: int, staff, reason: str) -> Withdrawal:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "驳回需要填写原因。")
    with transaction.atomic():
        w = _get(withdrawal_id)
        _move(w, W.REVIEW, W.REJECTED, kind="rejected", note=reason, actor=staff, reviewer=staff, decided_at=clock.now(), completed_at=clock.now())
        Withdrawal.objects.filter(pk=w.pk).update(note=reason[:200])
        _return_money(w, "withdrawal_return", f"提现驳回 {w.withdrawal_no}：{reason}"[:200])
    return w


def _payout_request(w: Withdrawal) -> PayoutRequest:
    secret = payout_account_secret(w.account)
    return PayoutRequest(payout_no=w.withdrawal_no, amount=w.net, currency="CNY", account_kind=w.account.kind,
                         account_no=secret["number"], holder_name=secret["holder"], memo=f"kadun 提现 {w.withdrawal_no}")


@sender("payout_send")
def _send_payout(payload: dict) -> None:
    """After commit: ask the provider to pay (idempotent by the withdrawal's number), then mark
    the withdrawal sent and arm the sweeper's query for a result that never comes."""
    w = Withdrawal.objects.select_related("account").get(pk=payload["withdrawal_id"])
    if w.status not in (W.APPROVED, W.SENT):
        return
    impl = providers.payout_provider(w.provider)
    gateway_no = impl.payout(request=_payout_request(w))
    with transaction.atomic():
        if Withdrawal.objects.filter(pk=w.pk, status=W.APPROVED).update(status=W.SENT, sent_at=clock.now(), gateway_no=gateway_no[:64]):
            _event(w, "sent", W.APPROVED, W.SENT, f"{impl.label} 受理" if not impl.manual else "等待人工打款")
        if not impl.manual:
            due = clock.now() + dt.timedelta(minutes=settings.KADUN_PAYOUT_QUERY_MINUTES)
            deadline_schedule(kind=KIND_PAYOUT_CHECK, subject_id=w.pk, due_at=due, rearm=True)


def _apply_result(w: Withdrawal, *, succeeded: bool, gateway_no: str, reason: str, actor=None, reference: str = "") -> str:
    now = clock.now()
    if succeeded:
        try:
            _move(w, (W.APPROVED, W.SENT), W.SUCCEEDED, kind="paid", note=reference or gateway_no, actor=actor,
                  completed_at=now, gateway_no=(gateway_no or w.gateway_no)[:64], reference=reference[:100])
        except InvalidTransition:
            return "duplicate"
        ledger.entry_post(
            kind="payout", idempotency_key=f"payout:{w.pk}",
            lines=[(codes.merchant_payout_in_flight(w.shop_id), -w.amount), (codes.external(w.provider), w.net), (codes.PLATFORM_FEES, w.fee)],
            ref_type="withdrawal", ref_id=w.pk, memo=f"提现到账 {w.withdrawal_no} {reference or gateway_no}"[:200],
        )
        return "succeeded"
    try:
        _move(w, (W.APPROVED, W.SENT), W.FAILED, kind="failed", note=reason or "打款失败", actor=actor, completed_at=now)
    except InvalidTransition:
        return "duplicate"
    Withdrawal.objects.filter(pk=w.pk).update(note=(reason or "打款失败")[:200])
    _return_money(w, "payout_failed", f"提现失败退回 {w.withdrawal_no}"[:200])
    return "failed"


@on_payout_result
def withdrawal_payout_result(*, payout_no: str, succeeded: bool, gateway_no: str, reason: str = "", amount: int | None = None) -> str:
    """A verified result from a payout gateway (in payments' transaction). Unknown number or
    another amount: BadNotification, nothing changes. A result for a final withdrawal: duplicate."""
    w = Withdrawal.objects.filter(withdrawal_no=payout_no).first()
    if w is None:
        raise BadNotification("unknown_payout", "转账通知对应的提现单不存在。")
    if amount is not None and amount != w.net:
        raise BadNotification("amount_mismatch", "转账通知金额与提现单不符。")
    if providers.payout_provider(w.provider).manual:
        raise BadNotification("provider_mismatch", "转账通知的渠道与提现单不符。")
    with transaction.atomic():
        return _apply_result(w, succeeded=succeeded, gateway_no=gateway_no, reason=reason)


_TX_HASH = re.compile(r"^[0-9a-f]{64}$")


def manual_reference_check(kind: str, reference: str) -> str:
    """The transfer's reference as staff enter it: required; for USDT-TRC20 the transaction's hash
    (TxID: 64 hex digits, a ``0x`` prefix dropped, lower-cased)."""
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput("reference_required", "请填写转账流水号 / 交易哈希。")
    if kind == AccountKind.USDT:
        reference = reference.lower().removeprefix("0x")
        if not _TX_HASH.match(reference):
            raise InvalidInput("bad_tx_hash", "USDT-TRC20 打款请填写交易哈希（TxID，64 位十六进制）。")
    if len(reference) > 100:
        raise InvalidInput("reference_too_long", "转账流水号不能超过 100 个字符。")
    return reference


def withdrawal_manual_confirm(*, withdrawal_id: int, staff, reference: str, succeeded: bool = True, reason: str = "") -> str:
    """Staff paid a manual payout (bank transfer, USDT) and enter its reference; or record that it
    failed (the money goes back to the shop's available balance). The same confirmation again
    (a double click, a resent form) is ``duplicate`` and moves nothing; a different one is refused."""
    w = _get(withdrawal_id)
    if succeeded:
        reference = manual_reference_check(w.account.kind, reference)
    with transaction.atomic():
        if not providers.payout_provider(w.provider).manual:
            raise InvalidTransition("not_manual", "该提现由支付渠道自动打款，不能人工确认。")
        outcome = _apply_result(w, succeeded=succeeded, gateway_no="", reason=reason or "人工打款失败", actor=staff, reference=reference if succeeded else "")
    if outcome == "duplicate":
        w.refresh_from_db()
        if (w.status, w.reference) == ((W.SUCCEEDED, reference) if succeeded else (W.FAILED, "")):
            return "duplicate"
        raise InvalidTransition("withdrawal_changed", "提现单状态已变化，请刷新。")
    return outcome


@handler(KIND_PAYOUT_CHECK)
def _payout_check(withdrawal_id: int) -> str:
    """The result never came: ask the gateway. Known → applied; never received → sent again
    (safe: idempotent by number); still pending → asked again later."""
    w = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if w is None or w.status not in (W.APPROVED, W.SENT):
        return "noop"
    status, gateway_no = providers.payout_provider(w.provider).query_payout(payout_no=w.withdrawal_no)
    if status in ("succeeded", "failed"):
        return _apply_result(w, succeeded=status == "succeeded", gateway_no=gateway_no, reason="查询结果：打款失败")
    if status == "unknown":
        outbox_enqueue(topic="payout_send", payload={"withdrawal_id": w.pk})
    due = clock.now() + dt.timedelta(minutes=settings.KADUN_PAYOUT_QUERY_MINUTES)
    # Re-armed after the sweeper has marked this firing done (a re-arm inside it would be undone).
    transaction.on_commit(lambda: deadline_schedule(kind=KIND_PAYOUT_CHECK, subject_id=withdrawal_id, due_at=due, rearm=True))
    return "resent" if status == "unknown" else "pending"


gate.WITHDRAW_CHECKS.append(no_verified_account_check)
