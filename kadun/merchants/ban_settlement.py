"""封号 settlement: when a banned shop's last after-sales window and case have closed, what is left
is paid out to the merchant — the deposit returned to available, the debt (先行赔付) recovered
from it first, the rest sent as one withdrawal that risk staff review before the payout (a banned
merchant's last money leaves only with a person's approval). The ban's gate refuses the
merchant's own withdrawals; this is the one path past it, and it is idempotent on the penalty."""
from __future__ import annotations

import secrets

from django.db import transaction

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.ledger.merchant_funds import debt_owed
from kadun.ledger.selectors import balance_of
from kadun.merchants.models_funds import PayoutAccount, Withdrawal
from kadun.merchants.payout_accounts import payout_account_verified
from kadun.merchants.states_funds import WithdrawalStatus as W
from kadun.merchants.withdrawals import _event, fee_for
from kadun.payments import providers


def _verified_account(shop_id: int) -> PayoutAccount | None:
    for account in PayoutAccount.objects.filter(shop_id=shop_id, is_active=True).order_by("pk"):
        if payout_account_verified(account):
            return account
    return None


def _collect(shop_id: int, penalty_id: int) -> int:
    """Deposit → available, then the debt out of available; returns what is left to pay out."""
    held = balance_of(codes.merchant_deposit(shop_id))
    if held:
        ledger.entry_post(
            kind="deposit_release", idempotency_key=f"ban_deposit:{penalty_id}",
            lines=[(codes.merchant_deposit(shop_id), -held), (codes.merchant_available(shop_id), held)],
            ref_type="penalty", ref_id=penalty_id, memo="封号结算：退还保证金",
        )
    available = balance_of(codes.merchant_available(shop_id))
    recover = min(debt_owed(shop_id), available)
    if recover:
        ledger.entry_post(
            kind="debt_recovery", idempotency_key=f"ban_debt:{penalty_id}",
            lines=[(codes.merchant_available(shop_id), -recover), (codes.merchant_debt(shop_id), recover)],
            ref_type="penalty", ref_id=penalty_id, memo="封号结算：抵扣商家欠款（先行赔付）",
        )
        from kadun.insurance.services import recovery_book

        recovery_book(shop_id=shop_id, recovered=recover, key=f"ban:{penalty_id}", source="ban_settlement", ref_id=penalty_id)  # 售后保险池 first
    return available - recover


def ban_payout_start(*, shop_id: int, penalty_id: int) -> Withdrawal | None:
    """Start the banned shop's final payout (status review). None when nothing is left above the
    fee, or the shop has no verified payout account (the money stays in available, shown on the
    staff console, until it adds one and staff pay it)."""
    idem = f"{shop_id}:ban:{penalty_id}"
    existing = Withdrawal.objects.filter(idempotency_key=idem).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        amount = _collect(shop_id, penalty_id)
        account = _verified_account(shop_id)
        if account is None or amount <= fee_for(amount):
            return None
        w = Withdrawal.objects.create(
            shop_id=shop_id, withdrawal_no="W" + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper(),
            account=account, amount=amount, fee=fee_for(amount), status=W.REVIEW, provider=providers.payout_provider_for(account.kind).name,
            idempotency_key=idem, review_reasons=["ban_settlement"], created_at=clock.now(),
        )
        ledger.entry_post(
            kind="withdrawal", idempotency_key=f"withdrawal:{w.pk}",
            lines=[(codes.merchant_available(shop_id), -amount), (codes.merchant_payout_in_flight(shop_id), amount)],
            ref_type="withdrawal", ref_id=w.pk, memo=f"封号结算提现 {w.withdrawal_no}",
        )
        _event(w, "requested", "", W.REVIEW, "封号结算：余额（扣除欠款后）待风控审核后打款")
    return w
