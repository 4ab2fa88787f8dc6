"""``entry_post`` in few statements, with the same outcomes: a new floored account opened with its
balance, savepoints only where a caller could catch InsufficientFunds, idempotency keys and new
accounts raced for by concurrent entries (PostgreSQL)."""
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kadun.ledger import accounts as codes
from kadun.ledger.errors import InsufficientFunds
from kadun.ledger.models import Account, JournalEntry, Posting
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import account_get_or_create, entry_post

OUTSIDE = codes.external("sandbox")
ESCROW = codes.escrow(424242)
WALLET = codes.buyer_wallet(9002)


def app_statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].split(" ", 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


@pytest.mark.django_db
def test_payment_into_a_new_escrow_account_is_four_statements_without_savepoint():
    account_get_or_create(OUTSIDE)
    with transaction.atomic():  # as notification_handle posts it
        with CaptureQueriesContext(connection) as ctx:
            entry, created = entry_post(kind="payment", idempotency_key="payment:1", lines=[(OUTSIDE, -990), (ESCROW, 990)], ref_type="order", ref_id=1)

    sql = app_statements(ctx)
    assert created and entry.pk == JournalEntry.objects.get(idempotency_key="payment:1").pk
    assert len(sql) == 4, sql  # accounts, entry, escrow account (with its balance), postings
    assert not any("SAVEPOINT" in s for s in sql)
    escrow = Account.objects.get(code=ESCROW)
    assert (escrow.kind, escrow.owner_id, escrow.floor, escrow.balance) == ("escrow", 424242, True, 990)
    assert balance_of(OUTSIDE) == -990
    postings = list(Posting.objects.filter(entry=entry).order_by("id").values_list("account__code", "amount"))
    assert postings == sorted(postings, key=lambda p: Account.objects.get(code=p[0]).pk)
    assert sorted(postings) == sorted([(OUTSIDE, -990), (ESCROW, 990)])


@pytest.mark.django_db
def test_returned_entry_is_the_stored_row():
    entry, _ = entry_post(kind="topup", idempotency_key="t:1", lines=[(OUTSIDE, -5), (WALLET, 5)], ref_type="user", ref_id=7, memo="m" * 300)
    stored = JournalEntry.objects.get(pk=entry.pk)
    assert [getattr(entry, f.attname) for f in JournalEntry._meta.fields] == [getattr(stored, f.attname) for f in JournalEntry._meta.fields]
    assert not entry._state.adding


@pytest.mark.django_db
def test_debiting_a_new_floored_account_is_refused_writes_nothing_and_leaves_the_callers_transaction_usable():
    account_get_or_create(OUTSIDE)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds) as refused:
            entry_post(kind="spend", idempotency_key="spend:1", lines=[(WALLET, -1), (OUTSIDE, 1)])
        assert refused.value.detail == {"account": WALLET}
        assert not Account.objects.filter(code=WALLET).exists()  # the caller's transaction goes on
        entry_post(kind="topup", idempotency_key="topup:1", lines=[(OUTSIDE, -3), (WALLET, 3)])
    assert not JournalEntry.objects.filter(idempotency_key="spend:1").exists()
    assert balance_of(WALLET) == 3


@pytest.mark.django_db
def test_replayed_key_moves_nothing_and_opens_no_account():
    first, _ = entry_post(kind="payment", idempotency_key="payment:2", lines=[(OUTSIDE, -100), (ESCROW, 100)])
    again, created = entry_post(kind="payment", idempotency_key="payment:2", lines=[(OUTSIDE, -100), (codes.escrow(99), 100)])
    assert (again.pk, created) == (first.pk, False)
    assert not Account.objects.filter(code=codes.escrow(99)).exists()
    assert balance_of(ESCROW) == 100 and Posting.objects.count() == 2


@pytest.mark.django_db
def test_account_get_or_create_opens_once():
    first = account_get_or_create(WALLET)
    second = account_get_or_create(WALLET)
    assert first.pk == second.pk and Account.objects.filter(code=WALLET).count() == 1
    assert (first.kind, first.owner_id, first.floor, first.balance) == ("wallet", 9002, True, 0)


def _concurrently(first, second):
    """``first`` posts in a transaction held open until ``second`` has started waiting on it."""
    posted = threading.Event()
    errors = []

    def one():
        try:
            with transaction.atomic():
                first()
                posted.set()
                threading.Event().wait(0.5)  # the second one is now blocked on our insert
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            posted.set()
        finally:
            connection.close()

    def two():
        try:
            posted.wait(10)
            second()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_opening_the_same_account_both_count():
    account_get_or_create(OUTSIDE)
    results = {}
    _concurrently(
        lambda: results.setdefault("a", entry_post(kind="topup", idempotency_key="race:a", lines=[(OUTSIDE, -7), (WALLET, 7)])),
        lambda: results.setdefault("b", entry_post(kind="topup", idempotency_key="race:b", lines=[(OUTSIDE, -5), (WALLET, 5)])),
    )
    assert results["a"][1] and results["b"][1]
    assert Account.objects.filter(code=WALLET).count() == 1
    assert balance_of(WALLET) == 12
    assert Posting.objects.filter(account__code=WALLET).count() == 2


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_with_the_same_key_post_once():
    account_get_or_create(OUTSIDE)
    results = {}
    _concurrently(
        lambda: results.setdefault("a", entry_post(kind="payment", idempotency_key="race:same", lines=[(OUTSIDE, -9), (ESCROW, 9)])),
        lambda: results.setdefault("b", entry_post(kind="payment", idempotency_key="race:same", lines=[(OUTSIDE, -9), (ESCROW, 9)])),
    )
    assert results["a"][1] is True and results["b"][1] is False
    assert results["a"][0].pk == results["b"][0].pk
    assert JournalEntry.objects.filter(idempotency_key="race:same").count() == 1
    assert balance_of(ESCROW) == 9 and balance_of(OUTSIDE) == -9
