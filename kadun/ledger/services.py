"""The only code that moves money. Every movement is one balanced, idempotent journal entry."""
from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F

from kadun.core import clock
from kadun.core.db import update_each
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


def entries_post(entries: list[dict]) -> int:
    """Post many balanced entries in one go (the sweeper's batches): the same rows as calling
    ``entry_post`` for each, in a handful of statements. Each entry is a dict of ``entry_post``'s
    arguments. Entries whose idempotency key is already posted are skipped; returns how many
    were posted. Floored accounts are locked in id order and checked after all the entries'
    movements; InsufficientFunds rolls back the caller's transaction when it propagates."""
    planned: list[tuple[dict, dict[str, int]]] = []
    for spec in entries:
        merged: dict[str, int] = defaultdict(int)
        for code, amount in spec["lines"]:
            merged[code] += int(amount)
        merged = {code: amount for code, amount in merged.items() if amount != 0}
        if not merged or sum(merged.values()) != 0:
            raise UnbalancedEntry()
        planned.append((spec, merged))
    keys = [spec["idempotency_key"] for spec, _ in planned]
    if len(set(keys)) != len(keys):
        raise ValueError("an idempotency key appears twice in one batch")
    posted = set(JournalEntry.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    planned = [(spec, merged) for spec, merged in planned if spec["idempotency_key"] not in posted]
    if not planned:
        return 0
    needed = {code for _, merged in planned for code in merged}
    with transaction.atomic():
        accounts = {a.code: a for a in Account.objects.filter(code__in=needed)}
        for code in needed - set(accounts):
            accounts[code] = account_get_or_create(code)
        delta: dict[int, int] = defaultdict(int)
        for _, merged in planned:
            for code, amount in merged.items():
                if accounts[code].floor:
                    delta[accounts[code].pk] += amount
        delta = {pk: amount for pk, amount in delta.items() if amount != 0}
        if delta:
            # One locking statement in id order: concurrent batches and single entries (which
            # update in id order too) wait for each other and never deadlock.
            balances = dict(Account.objects.select_for_update().filter(pk__in=delta).order_by("pk").values_list("pk", "balance"))
            short = [pk for pk, amount in delta.items() if balances[pk] + amount < 0]
            if short:
                code = next(a.code for a in accounts.values() if a.pk == short[0])
                raise InsufficientFunds(account=code)
            update_each(Account, "balance", delta, add=True)
        now = clock.now()
        created = JournalEntry.objects.bulk_create([
            JournalEntry(kind=spec["kind"], idempotency_key=spec["idempotency_key"], ref_type=spec.get("ref_type", ""),
                         ref_id=spec.get("ref_id"), memo=spec.get("memo", "")[:200], created_at=now)
            for spec, _ in planned
        ])
        Posting.objects.bulk_create([
            Posting(entry=entry, account=accounts[code], amount=amount)
            for entry, (_, merged) in zip(created, planned)
            for code, amount in sorted(merged.items(), key=lambda kv: accounts[kv[0]].pk)
        ])
    return len(planned)
