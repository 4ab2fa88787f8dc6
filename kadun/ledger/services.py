"""The only code that moves money. Every movement is one balanced, idempotent journal entry."""
from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F

from kadun.core import clock
from kadun.core.db import update_each
from kadun.ledger import accounts as codes
from kadun.ledger.errors import InsufficientFunds, UnbalancedEntry
from kadun.ledger.models import Account, JournalEntry, Posting


def _insert_returning_id(model, values: dict, *, unique: str) -> int | None:
    """``INSERT … ON CONFLICT (unique) DO NOTHING RETURNING id``: the new row's id, or None when
    a row with that value of ``unique`` exists (or a concurrent transaction inserted it and
    committed: PostgreSQL waits for it, as for a unique violation). One statement and no
    savepoint, where ``create`` in a savepoint catching IntegrityError needs three. Same SQL on
    PostgreSQL and SQLite (3.35+)."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({qn(model._meta.get_field(unique).column)}) DO NOTHING RETURNING {qn(model._meta.pk.column)}"
    )
    params = [f.get_db_prep_save(value, connection) for f, value in zip(fields, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _in_hand(model, pk: int, values: dict):
    """The model instance of a row just inserted with ``values``, as ``create`` returns it."""
    obj = model(pk=pk, **values)
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def _account_insert(code: str, *, balance: int = 0) -> Account | None:
    """A new account (with an opening balance, for a floored one), or None if it exists."""
    kind, owner_id = codes.parse(code)
    values = {"code": code, "kind": kind, "owner_id": owner_id, "floor": codes.KINDS[kind], "balance": balance}
    pk = _insert_returning_id(Account, values, unique="code")
    return None if pk is None else _in_hand(Account, pk, values)


def account_get_or_create(code: str) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    return _account_insert(code) or Account.objects.get(code=code)


def accounts_open_platform() -> None:
    for code in (codes.PLATFORM_FEES, codes.PLATFORM_INSURANCE_POOL, codes.PLATFORM_ADVANCE):
        account_get_or_create(code)


def accounts_open_for_buyer(*, user_id: int) -> None:
    account_get_or_create(codes.buyer_wallet(user_id))


def accounts_open_for_shop(*, shop_id: int) -> None:
    for code in (codes.merchant_pending(shop_id), codes.merchant_available(shop_id), codes.merchant_deposit(shop_id)):
        account_get_or_create(code)


def entry_post(
    *, kind: str, idempotency_key: str, lines: list[tuple[str, int]], ref_type: str = "", ref_id: int | None = None, memo: str = ""
) -> tuple[JournalEntry, bool]:
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

    known = {a.code: a for a in Account.objects.filter(code__in=list(merged))}
    # InsufficientFunds is only possible when a floored account is debited: then the entry runs
    # in a savepoint of its own, so that a caller catching it finds its transaction as it was.
    # Otherwise nothing in here raises but a database error, and every caller posts from an
    # atomic block of its own that no such error is caught inside of; no savepoint needed.
    guarded = any(amount < 0 and _floored(known.get(code), code) for code, amount in merged.items())
    with transaction.atomic(savepoint=guarded):
        values = {"kind": kind, "idempotency_key": idempotency_key, "ref_type": ref_type, "ref_id": ref_id, "memo": memo[:200], "created_at": clock.now()}
        pk = _insert_returning_id(JournalEntry, values, unique="idempotency_key")
        if pk is None:  # posted before (or concurrently, and committed): nothing moves
            return JournalEntry.objects.get(idempotency_key=idempotency_key), False
        entry = _in_hand(JournalEntry, pk, values)
        to_update = []
        for code, amount in merged.items():  # accounts created first, as account_get_or_create did
            account = known.get(code)
            if account is None:
                # A new floored account credited opens with its balance; a debited one opens
                # empty and is refused below, in its turn, like any other.
                opening = amount if amount > 0 and _floored(None, code) else 0
                account = _account_insert(code, balance=opening)
                if account is not None and opening:
                    known[code] = account
                    continue
                account = account or Account.objects.get(code=code)
                known[code] = account
            if account.floor:
                to_update.append(account)
        for account in sorted(to_update, key=lambda a: a.pk):  # fixed lock order: no deadlocks between concurrent entries
            amount = merged[account.code]
            rows = Account.objects.filter(pk=account.pk)
            if amount < 0:
                rows = rows.filter(balance__gte=-amount)
            if rows.update(balance=F("balance") + amount) != 1:
                raise InsufficientFunds(account=account.code)
        accounts = sorted(known.values(), key=lambda a: a.pk)
        Posting.objects.bulk_create([Posting(entry=entry, account=a, amount=merged[a.code]) for a in accounts])
    return entry, True


def _floored(account: Account | None, code: str) -> bool:
    """Whether the account is floored: as its row says, or as a new one of its code would be.
    An unparseable code counts as floored (the entry then keeps its savepoint and fails where it
    always did, when the account is created)."""
    if account is not None:
        return account.floor
    try:
        return codes.KINDS[codes.parse(code)[0]]
    except (ValueError, KeyError, IndexError):
        return True


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
    floored = sorted(code for code in needed if _floored(None, code))
    with transaction.atomic():
        # Floored accounts are read and locked in one statement, in id order: concurrent batches
        # and single entries (which update in id order too) wait for each other, never deadlock.
        locked = list(Account.objects.select_for_update().filter(code__in=floored).order_by("pk").values_list("code", "pk", "balance"))
        pk_of = {code: pk for code, pk, _ in locked}
        balance_of = {pk: balance for _, pk, balance in locked}
        pk_of.update(Account.objects.filter(code__in=needed - set(floored)).values_list("code", "pk"))
        for code in sorted(needed - set(pk_of)):  # new accounts: the insert holds their row locks
            account = account_get_or_create(code)
            pk_of[code] = account.pk
            balance_of.setdefault(account.pk, account.balance)
        floor_set = set(floored)
        delta: dict[int, int] = defaultdict(int)
        for _, merged in planned:
            for code, amount in merged.items():
                if code in floor_set:
                    delta[pk_of[code]] += amount
        delta = {pk: amount for pk, amount in delta.items() if amount != 0}
        short = [pk for pk, amount in delta.items() if balance_of[pk] + amount < 0]
        if short:
            raise InsufficientFunds(account=next(code for code, pk in pk_of.items() if pk == short[0]))
        update_each(Account, "balance", delta, add=True)
        now = clock.now()
        created = JournalEntry.objects.bulk_create([
            JournalEntry(kind=spec["kind"], idempotency_key=spec["idempotency_key"], ref_type=spec.get("ref_type", ""),
                         ref_id=spec.get("ref_id"), memo=spec.get("memo", "")[:200], created_at=now)
            for spec, _ in planned
        ])
        Posting.objects.bulk_create([
            Posting(entry_id=entry.pk, account_id=pk_of[code], amount=amount)
            for entry, (_, merged) in zip(created, planned, strict=True)
            for code, amount in sorted(merged.items(), key=lambda kv: pk_of[kv[0]])
        ])
    return len(planned)
