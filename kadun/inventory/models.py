from django.db import models

from kadun.inventory.states import KeyStatus


class ImportBatch(models.Model):
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="import_batches")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="import_batches")
    source = models.CharField(max_length=20, help_text="paste / file / api / cli")
    total_lines = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicate_in_file = models.PositiveIntegerField(default=0)
    duplicate_existing = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    # Lines that collide with another shop's key, held for risk review (QuarantinedKey). The
    # merchant is never told how many: their pages show ``accepted`` (imported + held).
    held_for_review = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    @property
    def accepted(self) -> int:
        return self.imported + self.held_for_review


class CardKey(models.Model):
    """One secret, sold once. ``secret`` holds the Fernet token, never the plaintext."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="keys")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="keys")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="keys", null=True, blank=True)
    secret = models.TextField()
    fingerprint = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=KeyStatus.choices, default=KeyStatus.AVAILABLE)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="keys", null=True, blank=True)
    sold_at = models.DateTimeField(null=True, blank=True)
    first_revealed_at = models.DateTimeField(null=True, blank=True)
    # A sold key taken back from its order: refunded (作废) or replaced (补发). Never sold again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["product", "status", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sold") | models.Q(order__isnull=False), name="cardkey_sold_has_order"
            ),
        ]


class QuarantinedKey(models.Model):
    """An imported line whose key another shop already holds: not imported, not reported to the
    importer by line or count, kept for risk review. Never the plaintext — only the keyed
    fingerprint, who tried (shop, product, batch), who holds the key, and when."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="quarantined_imports")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="quarantined")
    fingerprint = models.CharField(max_length=64)
    owner_shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+", help_text="the shop that holds the key")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["shop", "created_at"], name="quarantine_shop_recent")]


class Reveal(models.Model):
    """One 查看卡密. The first one per key is the key fact in a refund."""

    key = models.ForeignKey(CardKey, on_delete=models.PROTECT, related_name="reveals")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="reveals")
    user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)
    actor = models.CharField(max_length=20, help_text="buyer / guest / staff")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class VerificationReport(models.Model):
    """A 验货 result for one key: evidence for the refund engine. The secret is never in it."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="verifications")
    key = models.ForeignKey(CardKey, on_delete=models.PROTECT, related_name="verifications")
    checker = models.CharField(max_length=10)
    result = models.CharField(max_length=10, help_text="valid / used / invalid / error")
    raw = models.TextField(blank=True, help_text="the checker's raw answer (truncated), for the record")
    checked_at = models.DateTimeField()
    before_first_reveal = models.BooleanField(help_text="checked before the buyer ever saw the key")

    class Meta:
        ordering = ["-checked_at", "-id"]
