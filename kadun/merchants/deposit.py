"""保证金 writes: top-up (a gateway payment or the shop's available balance), refresh of the
short-since mark, payments out of the deposit (compensation to a buyer, a fine to the platform),
and its release when a shop closes. Money moves only through ``kadun.ledger.services``; every
movement is one idempotent entry citing its subject (``ref_type`` / ``ref_id``).

``short_since`` is kept on every event that moves either side of the requirement — a top-up, a
deduction (refund chain, compensation, fine), a sale (checkout asks the gate, which records a
shop found short) — and nightly for every shop (deadline kind ``deposit_nightly``), which also
catches a score change or sales leaving the 30-day window. Reputation may call
``deposit_refresh`` on a score change directly."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.core.errors import InvalidInput
from kadun.deadlines.registry import handler
from kadun.deadlines.services import deadlines_schedule_many
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.merchants import gate
from kadun.merchants.errors_funds import DepositLocked, DepositShort
from kadun.merchants.models_funds import DepositState
from kadun.merchants.selectors_deposit import DepositPosition, deposit_position, grace_ends_at
from kadun.payments.registry import on_deposit_changed

KIND_NIGHTLY = "deposit_nightly"


def _next_night(now: dt.datetime) -> dt.datetime:
    night = now.replace(hour=19, minute=0, second=0, microsecond=0)  # 03:00 Beijing time
    return night if night > now else night + dt.timedelta(days=1)


def deposit_refresh(*, shop_id: int, arm: bool = True) -> DepositPosition:
    """Record whether the shop is short now: ``short_since`` set when it falls below (kept while
    it stays below), cleared when it holds enough. Arms the shop's nightly check (not from the
    nightly check itself: that would move the very deadline being fired, after its firing was
    logged; it re-arms itself after commit)."""
    now = clock.now()
    position = deposit_position(shop_id)
    short = position.held < position.required
    DepositState.objects.bulk_create([DepositState(shop_id=shop_id, checked_at=now)], ignore_conflicts=True)
    rows = DepositState.objects.filter(shop_id=shop_id)
    rows.update(required=position.required, held=position.held, checked_at=now)
    if short:
        rows.filter(short_since__isnull=True).update(short_since=now)
    else:
        rows.exclude(short_since=None).update(short_since=None)
    if arm:
        deadlines_schedule_many(kind=KIND_NIGHTLY, due={shop_id: _next_night(now)})
    return deposit_position(shop_id) if short else position


@on_deposit_changed
def _deposit_changed(*, shop_id: int) -> None:
    deposit_refresh(shop_id=shop_id)


@handler(KIND_NIGHTLY)
def _nightly(shop_id: int) -> str:
    position = deposit_refresh(shop_id=shop_id, arm=False)
    from kadun.deadlines.services import deadline_schedule

    # Re-armed after the sweeper has marked this firing done (a re-arm inside it would be undone).
    due = _next_night(clock.now() + dt.timedelta(minutes=1))
    transaction.on_commit(lambda: deadline_schedule(kind=KIND_NIGHTLY, subject_id=shop_id, due_at=due, rearm=True))
    return "short" if position.held < position.required else "ok"


def deposit_sell_check(shop_id: int):
    """gate.SELL_CHECKS: below the requirement past the grace → new checkouts refused. A shop
    found short with no mark yet is marked now (this checkout is a sale event). With the refusal
    switched off (``KADUN_DEPOSIT_ENFORCE_SELLING``) checkout reads nothing; the nightly check and
    the money events keep the mark."""
    if not settings.KADUN_DEPOSIT_ENFORCE_SELLING:
        return None
    position = deposit_position(shop_id)
    if position.held >= position.required:
        return None
    if position.short_since is None:
        deposit_refresh(shop_id=shop_id)
        return None
    if clock.now() >= grace_ends_at(position):
        return DepositShort()
    return None


def _positive(amount) -> int:
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_amount", "金额无效。") from None
    if amount <= 0:
        raise InvalidInput("invalid_amount", "金额必须大于0。")
    return amount


def deposit_topup_from_available(*, shop_id: int, amount: int, key: str) -> bool:
    """Move ``amount`` from the shop's available balance into its deposit (one entry). Returns
    whether it moved now (False: this key was used before). InsufficientFunds when short."""
    amount = _positive(amount)
    with transaction.atomic():
        _, created = ledger.entry_post(
            kind="deposit_topup", idempotency_key=f"deposit_topup:{shop_id}:{key}"[:120],
            lines=[(codes.merchant_available(shop_id), -amount), (codes.merchant_deposit(shop_id), amount)],
            ref_type="shop", ref_id=shop_id, memo="可用余额转入保证金",
        )
        if created:
            deposit_refresh(shop_id=shop_id)
    return created


def deposit_topup_start(*, shop_id: int, amount: int, return_url: str, provider: str | None = None) -> str:
    """A top-up paid at a gateway (the sandbox now): returns the pay URL. The deposit moves when
    the gateway's signed notification arrives (``payments.services.notification_handle``)."""
    from kadun.payments import services as payments

    amount = _positive(amount)
    if amount < settings.KADUN_DEPOSIT_TOPUP_MIN:
        raise InvalidInput("topup_too_small", f"单次充值不少于 {settings.KADUN_DEPOSIT_TOPUP_MIN / 100:.2f} 元。")
    with transaction.atomic():
        _, url = payments.payment_create_deposit(shop_id=shop_id, amount=amount, provider=provider, return_url=return_url)
    return url


@dataclass(frozen=True)
class DepositPaid:
    from_deposit: int
    shortfall: int  # what the deposit could not cover: advanced (to a buyer) or owed (a fine), as merchant debt
    created: bool


def deposit_pay(*, shop_id: int, amount: int, to: str, buyer_id: int | None = None, order_id: int | None = None,
                reason: str, ref_type: str, ref_id: int, key: str) -> DepositPaid:
    """Pay compensation to a buyer (their wallet) or a fine to the platform out of the deposit,
    citing its decision or penalty (``ref_type``/``ref_id``). What the deposit cannot cover is
    先行赔付 for a buyer (platform advance, booked as the merchant's debt) or owed to the
    platform for a fine (merchant debt). Idempotent on ``key``: the same key never pays twice."""
    amount = _positive(amount)
    if to not in ("buyer", "platform"):
        raise InvalidInput("invalid_destination", "保证金支付对象只能是买家或平台。")
    if to == "buyer" and not buyer_id:
        raise InvalidInput("buyer_required", "赔付买家需要买家账户。")
    idem = f"deposit_pay:{key}"[:120]
    from kadun.ledger.selectors import balance_of

    with transaction.atomic():
        held = balance_of(codes.merchant_deposit(shop_id))
        from_deposit = min(amount, held)
        shortfall = amount - from_deposit
        target = codes.buyer_wallet(buyer_id) if to == "buyer" else codes.PLATFORM_FINES
        memo = (f"保证金赔付：{reason}" if to == "buyer" else f"保证金罚款：{reason}") + (f"（订单 {order_id}）" if order_id else "")
        # The rest: for a buyer the platform advances it (先行赔付), for a fine it is owed.
        rest_from = codes.PLATFORM_ADVANCE if to == "buyer" else codes.merchant_debt(shop_id)
        lines = [(codes.merchant_deposit(shop_id), -from_deposit), (rest_from, -shortfall), (target, amount)]
        _, created = ledger.entry_post(kind="deposit_pay", idempotency_key=idem, lines=lines, ref_type=ref_type, ref_id=ref_id, memo=memo)
        if not created:
            return DepositPaid(from_deposit=0, shortfall=0, created=False)
        if shortfall and to == "buyer":
            ledger.entry_post(
                kind="merchant_debt", idempotency_key=f"debt:{idem}"[:120],
                lines=[(codes.merchant_debt(shop_id), -shortfall), (codes.PLATFORM_ADVANCE, shortfall)],
                ref_type=ref_type, ref_id=ref_id, memo="先行赔付，记为商家欠款",
            )
        deposit_refresh(shop_id=shop_id)
    return DepositPaid(from_deposit=from_deposit, shortfall=shortfall, created=True)


def deposit_release_date(shop_id: int) -> dt.datetime | None:
    """When the deposit may be withdrawn: KADUN_DEPOSIT_RELEASE_DAYS after the last sale (the
    after-sales windows of its orders have closed by then); None when any case or refund request
    is still open (it may still be needed)."""
    from kadun.aftersales import selectors as refunds
    from kadun.cases import selectors as cases
    from kadun.merchants.models import Shop
    from kadun.orders.selectors import shop_sales

    shop = Shop.objects.get(pk=shop_id)
    if cases.merchant_cases(shop=shop, open_only=True).exists() or refunds.merchant_queue(shop=shop, open_only=True).exists():
        return None
    last = shop_sales(shop_id=shop_id, since=clock.now())["last_sale_at"]
    return (last or shop.created_at) + dt.timedelta(days=settings.KADUN_DEPOSIT_RELEASE_DAYS)


def deposit_withdraw_on_close(*, shop_id: int) -> int:
    """Close the shop and return its whole deposit to its available balance (then withdrawn as
    any balance). Refused, with the date it becomes possible, before then."""
    from kadun.ledger.selectors import balance_of
    from kadun.merchants.models import Shop

    date = deposit_release_date(shop_id)
    if date is None:
        raise DepositLocked("deposit_cases_open", "店铺还有未结束的售后工单或退款申请，结束后才能退还保证金。")
    if clock.now() < date:
        raise DepositLocked("deposit_locked_until", f"最后一笔订单的售后期结束后才能退还保证金，最早 {date:%Y-%m-%d %H:%M} (UTC)。")
    with transaction.atomic():
        Shop.objects.filter(pk=shop_id).update(is_active=False)
        held = balance_of(codes.merchant_deposit(shop_id))
        if held:
            ledger.entry_post(
                kind="deposit_release", idempotency_key=f"deposit_release:{shop_id}:{clock.now():%Y%m%d%H%M%S}",
                lines=[(codes.merchant_deposit(shop_id), -held), (codes.merchant_available(shop_id), held)],
                ref_type="shop", ref_id=shop_id, memo="关店退还保证金",
            )
        DepositState.objects.filter(shop_id=shop_id).update(short_since=None, checked_at=clock.now())
    return held


gate.SELL_CHECKS.append(deposit_sell_check)
