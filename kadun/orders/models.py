import datetime as dt

from django.db import models

from kadun.catalog.states import Delivery
from kadun.orders.states import EVENT_LABELS, Actor, OrderStatus


class Order(models.Model):
    order_no = models.CharField(max_length=24, unique=True)
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    # Guest checkout: a contact (e-mail / QQ / phone), a hashed query password, and a hashed
    # access token whose plaintext is only ever in the buyer's access link.
    contact = models.CharField(max_length=120, blank=True)
    query_password = models.CharField(max_length=128, blank=True)
    access_token_hash = models.CharField(max_length=64, unique=True)
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="orders")
    title = models.CharField(max_length=120, help_text="product title at purchase")
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    quantity = models.PositiveIntegerField()
    unit_price = models.PositiveBigIntegerField()
    amount = models.PositiveBigIntegerField(help_text="total in 分")
    fee = models.PositiveBigIntegerField(default=0, help_text="platform fee taken at confirmation")
    refunded_amount = models.PositiveBigIntegerField(default=0)
    inspection_hours = models.PositiveIntegerField()
    buyer_inputs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    delivery_note = models.TextField(blank=True)
    delivery_image = models.FileField(upload_to="delivery/%Y/%m/", blank=True)
    # The refund rules frozen at purchase: rules + numbered clauses + text, and their SHA-256.
    policy_snapshot = models.JSONField(null=True, blank=True)
    policy_hash = models.CharField(max_length=64, blank=True)
    # The buyer confirmed, on this purchase, that 7天无理由 does not apply (消保法 §25; 暂行办法 §20).
    no_reason_waived = models.BooleanField(default=False)
    # 下单前提示 shown at checkout (kadun.orders.warnings), as they were: [{code, text, figures, tick}].
    checkout_warnings = models.JSONField(default=list, blank=True)
    # 异常订单预警 (kadun.risk.alert_rules): keyed hashes (kadun.evidence.privacy) of the address and
    # the device cookie the order was placed from — never the values themselves; "" when unknown.
    ip_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    device_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    # An open refund request holds the money: auto-confirm waits until it is settled.
    refund_hold = models.BooleanField(default=False)
    # Manual services: how many of the policy's milestones the merchant has marked as reached.
    milestone = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "-id"]),
            models.Index(fields=["buyer", "-id"]),
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["ip_hash", "created_at"], name="order_ip_recent", condition=~models.Q(ip_hash="")),
            models.Index(fields=["device_hash", "created_at"], name="order_device_recent", condition=~models.Q(device_hash="")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(condition=models.Q(refunded_amount__lte=models.F("amount")), name="order_refund_le_amount"),
        ]

    def __str__(self) -> str:
        return self.order_no

    @property
    def payment(self):
        """The order's payment that counts: the credited (succeeded) one, else the newest. An
        order may have several (换一种支付方式). Read fresh on each use (through the
        ``prefetch_related("payments")`` cache when the caller prefetched), unless assigned:
        checkout assigns the one it created, so its response reads nothing again."""
        if "_payment" in self.__dict__:
            return self.__dict__["_payment"]
        rows = list(self.payments.all())
        credited = [p for p in rows if p.status == "succeeded"]
        if credited:
            return credited[0]
        return max(rows, key=lambda p: p.pk, default=None)

    @payment.setter
    def payment(self, value) -> None:
        self.__dict__["_payment"] = value

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_payment", None)
        return super().refresh_from_db(*args, **kwargs)

    @property
    def is_auto(self) -> bool:
        return self.delivery == Delivery.AUTO

    @property
    def is_guest(self) -> bool:
        return self.buyer_id is None

    @property
    def inspection_ends_at(self):
        """When the inspection window ends and the order confirms itself (from delivery)."""
        return self.delivered_at + dt.timedelta(hours=self.inspection_hours) if self.delivered_at else None


class CheckoutConfirmation(models.Model):
    """Something the buyer confirmed at checkout, on this purchase: what (``kind``), the exact
    text they were shown and ticked (with its SHA-256), through which channel, and when.
    Written in the order's creation transaction; never changed. (Later: insurance terms.)"""

    KIND_NO_REASON_EXCLUSION = "no_reason_exclusion"  # 7天无理由 does not apply (暂行办法 §20)
    KIND_LOW_PRICE = "low_price"  # 超低价: the buyer knows the price is far below the market (orders.warnings)
    KINDS = [(KIND_NO_REASON_EXCLUSION, "不适用七天无理由退货"), (KIND_LOW_PRICE, "超低价提醒")]
    CHANNELS = [("web", "web"), ("api", "api")]

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="checkout_confirmations")
    kind = models.CharField(max_length=32, choices=KINDS)
    text = models.TextField(help_text="the text the buyer confirmed, as shown")
    text_sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=CHANNELS)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="checkout_confirmation_once_per_kind")]


class OrderEvent(models.Model):
    """What happened to an order, in order. Written in the same transaction as the change."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.CharField(max_length=12, choices=Actor.choices)
    actor_user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)
