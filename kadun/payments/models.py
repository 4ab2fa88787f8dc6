from django.db import models

from kadun.payments.states import PaymentStatus, RefundStatus, SandboxTradeStatus


class Payment(models.Model):
    """Our side of one payment of an order at a provider."""

    # What is paid for: an order (escrow), or a shop's deposit top-up (保证金, no order).
    # An order may have several (the buyer switched method, 换一种支付方式); at most one is credited
    # (status succeeded): a success on another becomes DUPLICATE and is refunded to its source.
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments", null=True, blank=True)
    purpose = models.CharField(max_length=12, default="order", help_text="order / deposit")
    deposit_shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider = models.CharField(max_length=20)
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.PositiveBigIntegerField()
    # 售后保险: of ``amount``, the premium paid with the order (into the insurance pool, never escrow).
    premium = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    gateway_trade_no = models.CharField(max_length=64, blank=True)
    pay_url = models.CharField(max_length=2000, blank=True, help_text="where the buyer pays (gateway page; a signed Alipay URL is ~1 KB)")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    # 我已支付: when the buyer last said they paid; the payment watch asks the gateway soon after.
    buyer_says_paid_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_watched(self) -> bool:
        """At a gateway we can ask (the payment watch): 我已支付 is offered."""
        from kadun.payments.watch import watched

        return watched(self)

    @property
    def confirming(self) -> bool:
        """The buyer said 我已支付 less than CONFIRMING ago: the page shows 支付确认中."""
        from kadun.core import clock
        from kadun.payments.watch import CONFIRMING

        return self.buyer_says_paid_at is not None and clock.now() - self.buyer_says_paid_at < CONFIRMING

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(purpose="order", order__isnull=False, deposit_shop__isnull=True)
                           | models.Q(purpose="deposit", order__isnull=True, deposit_shop__isnull=False)),
                name="payment_purpose_subject",
            ),
            # The DB's guard for 一单只入账一次: of two payments of one order succeeding at once, the
            # second UPDATE fails here (its savepoint rolls back; it becomes a duplicate, refunded).
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="succeeded"), name="payment_one_credited_per_order"),
        ]


class Refund(models.Model):
    """Money back to the buyer's payment source. The ledger entry is written with this row; the
    provider's refund call is an outbox message sent after commit."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(max_length=32, unique=True)
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=40)
    note = models.CharField(max_length=300, blank=True)
    destination = models.CharField(max_length=10, default="source", help_text="source (原路退回) / wallet (平台余额)")
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    provider_refund_no = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The gateway call's lifecycle (``refunds_gateway``): failed attempts since the last (re)queue,
    # the last failure's code (the gateway's error code, never its message or a secret), and
    # when the next step (a retry, or a query of a processing refund) is due; while a sender
    # holds the refund it is the sender's lease.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=80, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Refunded by hand by staff (已线下退款): the transfer's reference, and who.
    manual_reference = models.CharField(max_length=80, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="refund_status_due")]

    @property
    def buyer_label(self) -> str:
        """The status in the buyer's words: 退款处理中 / 已退款 / 退款受阻，平台处理中."""
        from kadun.payments.states import REFUND_BUYER_LABELS

        return REFUND_BUYER_LABELS.get(self.status, self.get_status_display())


class RefundEvent(models.Model):
    """One transition of a refund's gateway lifecycle, written in the transition's transaction."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, help_text="failed / processing / succeeded / attention / requeued / manual_done")
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    code = models.CharField(max_length=80, blank=True, help_text="the gateway's error code or the transfer reference")
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField()


class SandboxTrade(models.Model):
    """The sandbox gateway's own books. It plays the outside world: kadun learns of a payment only
    through the signed notification the sandbox sends, never by reading this table."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    trade_no = models.CharField(max_length=40, unique=True)
    merchant_no = models.CharField(max_length=32)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    subject = models.CharField(max_length=120)
    return_url = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=SandboxTradeStatus.choices, default=SandboxTradeStatus.CREATED)
    refunded = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    # Like a real gateway's time_expire: the order's payment deadline. No payment after it.
    expires_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_closed(self) -> bool:
        from kadun.core import clock

        return self.status != SandboxTradeStatus.PAID and self.expires_at is not None and clock.now() >= self.expires_at

    @property
    def can_pay(self) -> bool:
        return self.status in (SandboxTradeStatus.CREATED, SandboxTradeStatus.FAILED) and not self.is_closed


class SandboxRefund(models.Model):
    """A refund as the sandbox gateway books it; unique per refund_no, so a retried call is a no-op."""

    refund_no = models.CharField(max_length=32, unique=True)
    out_trade_no = models.CharField(max_length=32)
    amount = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()


class SandboxPayout(models.Model):
    """A payout as the sandbox gateway books it: unique per payout_no, so a repeated request pays
    once. Like SandboxTrade it plays the outside world: kadun learns the result only from the
    signed notification (or by asking, ``query_payout``)."""

    payout_no = models.CharField(max_length=32, unique=True)
    gateway_no = models.CharField(max_length=40, unique=True)
    amount = models.PositiveBigIntegerField()
    account_kind = models.CharField(max_length=12)
    account_tail = models.CharField(max_length=8, help_text="last digits only: the gateway's log, not the account")
    status = models.CharField(max_length=12, default="succeeded", help_text="succeeded / failed")
    reason = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()


class NotifyNonce(models.Model):
    """A nonce a gateway signed into a notification (WeChat Pay v3), seen once. Rows older than
    the notification's freshness window are purged by a duty: a stale one is refused anyway."""

    provider = models.CharField(max_length=20)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "nonce"], name="notify_nonce_once")]


class WechatTrade(models.Model):
    """What WeChat Pay answered when a payment was created: the Native code_url (shown as a QR
    code) or the H5 page."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    mode = models.CharField(max_length=8, help_text="native / h5")
    code_url = models.CharField(max_length=500, blank=True)
    return_url = models.CharField(max_length=300, blank=True)
    amount = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()


class UsdtTrade(models.Model):
    """A USDT-TRC20 payment through epusdt: the rate (CNY per USDT) frozen when it was created and
    the USDT amount the buyer was asked for; the callback must pay exactly that."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    rate = models.DecimalField(max_digits=12, decimal_places=4)
    usdt_amount = models.DecimalField(max_digits=18, decimal_places=4)
    gateway_trade_no = models.CharField(max_length=64, blank=True)
    # What epusdt answered for the buyer to pay: the TRON address (token) and the counter page.
    address = models.CharField(max_length=64, blank=True)
    payment_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()


from kadun.payments.models_reconcile import DifferenceKind, ReconciliationDifference, ReconciliationRun  # noqa: E402, F401
