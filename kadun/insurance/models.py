"""售后保险: the cover bought with an order (terms frozen and hashed), the claims the pool paid,
and what it recovered from the merchant. Money moves only through kadun.ledger; each row here
is written with its journal entry, in one transaction, and logged in the evidence log."""
from django.db import models


class Cover(models.Model):
    """The cover of one order, bought at checkout. Never changed, but for the one stamp when the
    premium is given back (the order was refunded in full before the cover started)."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="cover")
    shop_id = models.BigIntegerField(db_index=True)
    premium = models.PositiveBigIntegerField(help_text="分, paid with the order into platform:insurance_pool")
    protection_days = models.PositiveIntegerField(help_text="after delivery, during which the buyer may still open a case")
    terms = models.JSONField(help_text="the terms as shown at checkout: formula, band, kind, clauses")
    terms_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    premium_returned_at = models.DateTimeField(null=True, blank=True)


class Claim(models.Model):
    """The pool paid a buyer what the merchant could not (a refund after release, by a decision,
    a refund request, or 跑路处置). One per refund (``refund_key``: the refund's idempotency key)."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="insurance_claims")
    cover = models.ForeignKey(Cover, on_delete=models.PROTECT, related_name="claims")
    shop_id = models.BigIntegerField(db_index=True)
    refund_key = models.CharField(max_length=120, unique=True)
    reason = models.CharField(max_length=40, help_text="the refund's reason: decision, runaway, …")
    amount = models.PositiveBigIntegerField()
    paid_at = models.DateTimeField(db_index=True)


class Recovery(models.Model):
    """Money the pool got back from the merchant who owed it (later income at settlement, the
    balance paid out after a ban), one per source event (``key``)."""

    shop_id = models.BigIntegerField(db_index=True)
    key = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=20, help_text="settlement / ban_settlement")
    ref_id = models.BigIntegerField(null=True, blank=True, help_text="the order settled, or the penalty")
    amount = models.PositiveBigIntegerField()
    recovered_at = models.DateTimeField(db_index=True)
