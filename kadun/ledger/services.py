"""The only code that moves money. Every movement is one balanced, idempotent journal entry."""
from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.errors import InsufficientFunds, UnbalancedEntry
from kadun.ledger.models import Account, JournalEntry, Posting


def account_get_or_create(code: str) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    kind, owner_id = codes.parse(code)
    try:
        with transaction.atomic():
            return Account.objects.create(code=code, kind=kind, owner_id=owner_id, floor=codes.KINDS[kind])
    except IntegrityError:
        return Account.objects.get(code=code)


def accounts_open_platform() -> None:
    for code in (codes.PLATFORM_FEES, codes.PLATFORM_INSURANCE_POOL, codes.PLATFORM_ADVANCE):
        account_get_or_create(code)


def accounts_open_for_buyer(*, user_id: int) -> None:
    account_get_or_create(codes.buyer_wallet(user_id))


def accounts_open_for_shop(*, shop_id: int) -> None:
    for code in (codes.merchant_pending(shop_id), codes.merchant_available(shop_id), codes.merchant_deposit(shop_id)):
        account_get_or_create(code)


def entry_post(*, kind: str, idempotency_key: str, lines: list[tuple[str, int]], ref_type: str = "", ref_id: int | None = None, memo: str = "") -> tuple[JournalEntry, bool]:
    """Post one balanced entry. Returns (entry, created); a repeated idempotency key returns the
    first entry and moves nothing. Raises InsufficientFunds, rolling back the caller's transaction
    when it propagates, if a floored account would go negative.
    """
    merged: dict[str, int] = defaultdict(int)
    for code, amount in lines:
        merged[code] += int(amount)
    merged = {code: amount for code, amount in merged.items() if amount != 0}
    if not merged or sum(merged.values()) != 0:
        raise UnbalancedEntry()

    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    kind=kind, idempotency_key=idempotency_key, ref_type=ref_type, ref_id=ref_id, memo=memo[:200], created_at=clock.now()
                )
        except IntegrityError:
            return JournalEntry.objects.get(idempotency_key=idempotency_key), False
        accounts = sorted((account_get_or_create(code) for code in merged), key=lambda a: a.pk)
        for account in accounts:  # fixed lock order: no deadlocks between concurrent entries
            amount = merged[account.code]
            if not account.floor:
                continue
            rows = Account.objects.filter(pk=account.pk)
            if amount < 0:
                rows = rows.filter(balance__gte=-amount)
            if rows.update(balance=F("balance") + amount) != 1:
                raise InsufficientFunds(account=account.code)
        Posting.objects.bulk_create([Posting(entry=entry, account=a, amount=merged[a.code]) for a in accounts])
    return entry, True
