"""Double-entry ledger. Entries and postings are append-only: mistakes are reversed, never edited."""
from __future__ import annotations

from django.db import models


class Account(models.Model):
    """An account, named by its code: ``escrow:order:42``, ``merchant:7:pending``, ``platform:fees``...

    Accounts with ``floor`` may never go negative: the ledger keeps their balance on the row and
    refuses an entry that would take it below zero. Other accounts (the outside world, platform
    income and advances) are not floored and their balance is the sum of their postings; keeping
    no balance on those rows means no hot row that every payment would have to lock.
    """

    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=24)
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="user, shop or order id, by kind")
    floor = models.BooleanField(default=True)
    balance = models.BigIntegerField(default=0, help_text="in 分; kept only for floored accounts")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(floor=False) | models.Q(balance__gte=0), name="ledger_floor_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    kind = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=120, unique=True)
    ref_type = models.CharField(max_length=24, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ref_type", "ref_id"])]

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            raise RuntimeError("journal entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("journal entries are immutable")


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(help_text="in 分; positive credits the account, negative debits it")

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_posting_nonzero")]

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            raise RuntimeError("postings are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("postings are immutable")
