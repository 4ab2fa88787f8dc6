"""The ledger refuses what would make the books wrong, and the database refuses edits."""
import pytest
from django.db import DatabaseError, connection, transaction

from kadun.ledger import accounts as codes
from kadun.ledger.errors import InsufficientFunds, UnbalancedEntry
from kadun.ledger.models import Account, JournalEntry, Posting
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post

pytestmark = pytest.mark.django_db

WALLET = codes.buyer_wallet(9001)
AVAILABLE = codes.merchant_available(77)
OUTSIDE = codes.external("sandbox")


def counts():
    return JournalEntry.objects.count(), Posting.objects.count()


def top_up(amount, key="topup"):
    return entry_post(kind="topup", idempotency_key=key, lines=[(OUTSIDE, -amount), (WALLET, amount)])


def test_balanced_entry_moves_money_exactly():
    entry, created = top_up(12345)
    assert created
    assert balance_of(WALLET) == 12345
    assert balance_of(OUTSIDE) == -12345
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-12345, 12345]


def test_unbalanced_entry_is_refused_and_writes_nothing():
    before = counts()
    with pytest.raises(UnbalancedEntry):
        entry_post(kind="topup", idempotency_key="bad", lines=[(OUTSIDE, -1000), (WALLET, 999)])
    assert counts() == before
    assert balance_of(WALLET) == 0
    assert not JournalEntry.objects.filter(idempotency_key="bad").exists()


def test_empty_or_all_zero_entry_is_refused():
    with pytest.raises(UnbalancedEntry):
        entry_post(kind="noop", idempotency_key="zero", lines=[(OUTSIDE, 0), (WALLET, 0)])
    with pytest.raises(UnbalancedEntry):
        entry_post(kind="noop", idempotency_key="empty", lines=[])
    assert counts() == (0, 0)


def test_floored_account_cannot_go_negative_and_nothing_is_written():
    top_up(500)
    before = counts()
    with pytest.raises(InsufficientFunds):
        entry_post(kind="spend", idempotency_key="overdraw", lines=[(WALLET, -501), (AVAILABLE, 501)])
    assert counts() == before
    assert balance_of(WALLET) == 500
    assert balance_of(AVAILABLE) == 0
    assert not JournalEntry.objects.filter(idempotency_key="overdraw").exists()


def test_floored_account_can_be_emptied_to_exactly_zero():
    top_up(500)
    entry_post(kind="spend", idempotency_key="all", lines=[(WALLET, -500), (AVAILABLE, 500)])
    assert balance_of(WALLET) == 0
    assert balance_of(AVAILABLE) == 500


def test_insufficient_funds_rolls_back_the_callers_transaction():
    top_up(100)
    with pytest.raises(InsufficientFunds):
        with transaction.atomic():
            entry_post(kind="spend", idempotency_key="first", lines=[(WALLET, -60), (AVAILABLE, 60)])
            entry_post(kind="spend", idempotency_key="second", lines=[(WALLET, -60), (AVAILABLE, 60)])
    assert balance_of(WALLET) == 100
    assert balance_of(AVAILABLE) == 0
    assert not JournalEntry.objects.filter(idempotency_key__in=["first", "second"]).exists()


def test_same_idempotency_key_twice_posts_once():
    first, created_first = top_up(700, key="topup:order:1")
    second, created_second = top_up(700, key="topup:order:1")
    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert balance_of(WALLET) == 700
    assert JournalEntry.objects.filter(idempotency_key="topup:order:1").count() == 1
    assert Posting.objects.filter(entry=first).count() == 2


def test_update_of_a_posting_is_refused_by_the_database():
    entry, _ = top_up(1000)
    posting = entry.postings.get(amount=1000)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_posting SET amount = 1 WHERE id = %s", [posting.pk])
    assert Posting.objects.get(pk=posting.pk).amount == 1000


def test_update_of_a_journal_entry_is_refused_by_the_database():
    entry, _ = top_up(1000)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_journalentry SET memo = 'edited' WHERE id = %s", [entry.pk])
    assert JournalEntry.objects.get(pk=entry.pk).memo == ""


@pytest.mark.pg
def test_delete_of_a_posting_is_refused_by_the_database():
    """Entries are append-only: a raw DELETE must fail just like a raw UPDATE. (PostgreSQL only: on
    SQLite a DELETE trigger would also block Django's test flush; ledger-check catches it there.)"""
    entry, _ = top_up(1000)
    posting = entry.postings.get(amount=1000)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_posting WHERE id = %s", [posting.pk])
    assert Posting.objects.filter(entry=entry).count() == 2


def test_orm_cannot_edit_or_delete_entries():
    entry, _ = top_up(1000)
    posting = entry.postings.first()
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        posting.delete()
    assert counts() == (1, 2)


def test_database_refuses_a_negative_floored_balance():
    top_up(10)
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            Account.objects.filter(code=WALLET).update(balance=-1)
    assert balance_of(WALLET) == 10
