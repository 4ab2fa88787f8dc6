from django.db import models

from kadun.catalog.states import Category, Delivery


class Product(models.Model):
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.AUTO)
    price = models.PositiveBigIntegerField(help_text="in 分")
    market_price = models.PositiveBigIntegerField(null=True, blank=True, help_text="market reference price in 分")
    inspection_hours = models.PositiveIntegerField(help_text="inspection window after delivery, in hours")
    max_per_order = models.PositiveIntegerField(default=10)
    # manual services: [{"name": "account", "label": "游戏账号", "required": true}, ...]
    buyer_fields = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    # 验货 checker for card keys: {"kind": "none"} | {"kind": "format", "pattern": "..."} |
    # {"kind": "http", "url": "...", "secret": "..."} (see kadun.inventory.checkers)
    checker = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Which products it is compared with for the 超低价 warning when it has no market_price:
    # "category|delivery|face value in 分" from the title ("50元", "¥50"), "" when the title
    # names none (kadun.catalog.comparables).
    comparable_key = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["is_active", "category", "id"]), models.Index(fields=["comparable_key"], name="product_comparable_key")]
        constraints = [models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_auto(self) -> bool:
        return self.delivery == Delivery.AUTO


class RefundPolicy(models.Model):
    """One version of a product's refund rules. Versions are never edited: an edit is a new
    version, and orders keep the snapshot of the version they were bought under."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="policies")
    version = models.PositiveIntegerField()
    rules = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="refund_policy_version_unique")]
        ordering = ["-version"]


class ComparablePrice(models.Model):
    """The median price of one group of comparable products on sale (``Product.comparable_key``),
    kept by ``kadun.catalog.comparables`` when a product of the group changes and by a daily
    duty, so checkout reads one row instead of scanning products."""

    key = models.CharField(max_length=60, unique=True)
    median = models.PositiveBigIntegerField(help_text="分")
    products = models.PositiveIntegerField()
    shops = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField()


class PriceChange(models.Model):
    """A product's price changed by its merchant (``product_update``): old and new price and when.
    Risk's rule 改价后短时间内大量下单 reads these; never edited."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_changes")
    shop_id = models.BigIntegerField()
    old_price = models.PositiveBigIntegerField()
    new_price = models.PositiveBigIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["product", "at"], name="catalog_price_change_recent")]
