"""A shop's funds beyond its orders: the deposit position (保证金), payout accounts and
withdrawals (提现). Money itself lives in the ledger; these rows say who, why and in which state."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from kadun.merchants.states_funds import AccountKind, WithdrawalStatus


class DepositState(models.Model):
    """When the shop fell below its deposit requirement (None: it holds enough), kept by
    ``deposit.deposit_refresh`` on every event that moves either side and nightly."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.PROTECT, related_name="deposit_state")
    short_since = models.DateTimeField(null=True, blank=True)
    required = models.BigIntegerField(default=0, help_text="分, at the last refresh")
    held = models.BigIntegerField(default=0, help_text="分, at the last refresh")
    checked_at = models.DateTimeField()


class PayoutAccount(models.Model):
    """Where a shop's withdrawals are paid. Number and holder are sealed (kadun.core.sealed);
    only the masked forms are stored in the clear."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="payout_accounts")
    kind = models.CharField(max_length=12, choices=AccountKind.choices)
    sealed = models.TextField()
    masked = models.CharField(max_length=48)
    holder_masked = models.CharField(max_length=40)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()


class Withdrawal(models.Model):
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="withdrawals")
    withdrawal_no = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(PayoutAccount, on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.PositiveBigIntegerField(help_text="分 taken from available")
    fee = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=WithdrawalStatus.choices)
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=120, unique=True)
    review_reasons = models.JSONField(default=list, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True, help_text="a rejection's reason, a failure's reason")
    gateway_no = models.CharField(max_length=64, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="manual payouts: the transfer reference staff entered")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"]), models.Index(fields=["shop", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=models.F("fee")), name="withdrawal_amount_gt_fee"),
        ]

    @property
    def net(self) -> int:
        return self.amount - self.fee


class WithdrawalEvent(models.Model):
    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
