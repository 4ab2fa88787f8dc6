"""Writes for payments: creating payments, handling gateway notifications, issuing refunds (the
gateway's side of a refund, topic ``provider_refund``, is ``kadun.payments.refunds_gateway``)."""
from __future__ import annotations

import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce

from kadun.core import clock
from kadun.evidence import services as evidence
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.notifications.services import outbox_enqueue
from kadun.payments import evidence as sources
from kadun.payments import providers
from kadun.payments.duplicates import duplicate_fact, duplicate_refund, payment_claim
from kadun.payments.errors import BadNotification, WalletInsufficient
from kadun.payments.models import Payment, Refund
from kadun.payments.registry import deposit_changed, insured_claim_paid, insured_shortfall, payment_succeeded
from kadun.payments.states import PaymentStatus, RefundStatus
from kadun.payments.watch import watch_cancel, watch_start

log = logging.getLogger("kadun.payments")


def _number(prefix: str) -> str:
    return prefix + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(5).upper()


def payment_create(*, order, provider: str | None = None, return_url: str, premium: int = 0,
                   client_ip: str = "", user_agent: str = "") -> tuple[Payment, str]:
    """Register the order's payment with the provider (an enabled one; none named: the first
    enabled gateway). Returns (payment, pay_url). ``premium`` (售后保险, 分) is paid with the
    order: the payment is for ``order.amount + premium``, and on success the premium goes to the
    insurance pool, the order's amount to escrow (``_paid_in``).

    The buyer's device and address reach the gateway: ``user_agent`` chooses Alipay's 手机网站支付
    or 电脑网站支付 (``alipay.pay_device``), ``client_ip`` is WeChat H5's ``payer_client_ip``."""
    from kadun.payments.providers import alipay

    impl = providers.get(provider or providers.default())
    # The provider is asked first and the payment inserted with its pay URL: one INSERT, no UPDATE.
    payment = Payment(order=order, provider=impl.name, out_trade_no=_number("P"), amount=order.amount + int(premium),
                      premium=int(premium), created_at=clock.now())
    payment.client_ip = client_ip  # not stored: what the gateway is told (WeChat H5)
    token = alipay.pay_device.set(alipay.device_of(user_agent)) if user_agent else None
    try:
        payment.pay_url = impl.create_payment(payment=payment, subject=order.title, merchant_no=str(order.shop_id), return_url=return_url)
    finally:
        if token is not None:
            alipay.pay_device.reset(token)
    payment.save(force_insert=True)
    watch_start(payment)  # a lost notification is found by asking the gateway
    return payment, payment.pay_url


def notification_handle(*, provider: str, params: dict[str, str], request=None) -> str:
    """Verify and apply one gateway notification. Returns an outcome code; raises BadNotification,
    changing nothing, for a forged, stale or mismatched one. Replays change nothing and succeed.
    A success is announced to the order (``registry.payment_succeeded``) in the same transaction."""
    impl = providers.get(provider)
    note = impl.verify_request(request) if request is not None else impl.verify_notification(params)
    params = params or note.details
    with transaction.atomic():
        if note.nonce:
            _nonce_claim(provider=impl.name, nonce=note.nonce)
        payment = payment_for_credit(provider=impl.name, out_trade_no=note.out_trade_no)
        if payment is None:
            raise BadNotification("unknown_payment", "支付通知对应的支付单不存在。")
        payment_check(payment, amount=note.amount, currency=note.currency, merchant_no=note.merchant_no)
        if getattr(note, "absorbed", False):
            return "absorbed"  # verified but not a result (Alipay WAIT_BUYER_PAY / TRADE_CLOSED): nothing changes
        if not note.succeeded:
            if Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(status=PaymentStatus.FAILED):
                evidence.record_fact(sources.notification_fact(provider=impl.name, params=params, payment=payment, outcome="failed", at=clock.now()))
            return "failed"
        return _credit(payment, gateway_trade_no=note.gateway_trade_no, source="notify", params=params)


def payment_for_credit(*, provider: str, out_trade_no: str) -> Payment | None:
    """Our payment a gateway's result is about, with the shop it pays (``shop_id``) and whether
    its order has other payments (``siblings``, 换一种支付方式: then a success may be a duplicate).
    Of the order only its shop is needed here (the order's handler reads it under a lock)."""
    others = Payment.objects.filter(order_id=OuterRef("order_id")).exclude(pk=OuterRef("pk"))
    return (Payment.objects.annotate(shop_id=Coalesce(F("order__shop_id"), F("deposit_shop_id")), siblings=Exists(others))
            .filter(provider=provider, out_trade_no=out_trade_no).first())


def payment_check(payment: Payment, *, amount: int | None, currency: str, merchant_no: str | None) -> None:
    """What the gateway says was paid must be our payment to the 分, in its currency, for its
    shop: the same checks for a notification and for a query's answer."""
    if amount != payment.amount:
        raise BadNotification("amount_mismatch", "支付通知金额与订单不符。")
    if currency != payment.currency:
        raise BadNotification("currency_mismatch", "支付通知币种与订单不符。")
    if merchant_no is not None and merchant_no != str(payment.shop_id):
        raise BadNotification("merchant_mismatch", "支付通知的商户与订单不符。")


def _credit(payment: Payment, *, gateway_trade_no: str, source: str, params: dict) -> str:
    """The one path by which a gateway's verified 'paid' becomes money in our books, whoever
    told us — the notification (``source="notify"``) or our own query (``"query"``), in the
    caller's transaction: the conditional update (``duplicates.payment_claim``, guard in the
    WHERE: of a notification and a query arriving together one claims, the other sees a replay;
    a second payment of an order already paid becomes 重复支付 and is refunded), the evidence
    fact, the ledger entry and the order's (or deposit's) handler."""
    now, memo = clock.now(), f"{payment.provider} {gateway_trade_no}"
    claimed = payment_claim(payment, gateway_trade_no=gateway_trade_no, at=now, siblings=getattr(payment, "siblings", True))
    if claimed == "replay":
        return "duplicate"  # a replay changes nothing, and logs nothing
    watch_cancel(payment)  # paid (or refunded as a duplicate): the watch's next check has nothing to ask
    if claimed == "duplicate":
        # 重复支付: the order already has its credited payment; this money goes straight back.
        refund = duplicate_refund(payment, provider=payment.provider, memo=memo)
        fact = duplicate_fact(provider=payment.provider, params=params, payment=payment, refund=refund, at=now)
        if source != "notify":
            fact.body["source"] = source
        evidence.record_fact(fact)
        return "duplicate_refunded"
    evidence.record_fact(sources.notification_fact(provider=payment.provider, params=params, payment=payment, outcome="succeeded",
                                                   at=now, via=source))
    if payment.purpose == PURPOSE_DEPOSIT:
        return _deposit_paid(payment, provider=payment.provider, gateway_trade_no=gateway_trade_no)
    _paid_in(payment, source=codes.external(payment.provider), memo=memo)
    return payment_succeeded(order_id=payment.order_id)


def _paid_in(payment: Payment, *, source: str, memo: str) -> None:
    """A succeeded order payment: the order's amount into its escrow (``payment``), and the
    售后保险 premium paid with it, if any, straight into the insurance pool — its own entry
    (``insurance_premium``, key ``premium:payment:<id>``), never through the merchant's escrow."""
    premium = payment.premium
    ledger.entry_post(
        kind="payment", idempotency_key=f"payment:{payment.pk}",
        lines=[(source, -(payment.amount - premium)), (codes.escrow(payment.order_id), payment.amount - premium)],
        ref_type="order", ref_id=payment.order_id, memo=memo,
    )
    if premium:
        ledger.entry_post(
            kind="insurance_premium", idempotency_key=f"premium:payment:{payment.pk}",
            lines=[(source, -premium), (codes.PLATFORM_INSURANCE_POOL, premium)],
            ref_type="order", ref_id=payment.order_id, memo="售后保险保费",
        )


def _nonce_claim(*, provider: str, nonce: str) -> None:
    """A signed nonce is accepted once: the unique row is inserted in the notification's
    transaction, so of two concurrent copies one waits for the other and then loses."""
    from django.db import IntegrityError

    from kadun.payments.models import NotifyNonce

    try:
        with transaction.atomic():
            NotifyNonce.objects.create(provider=provider, nonce=nonce[:64], seen_at=clock.now())
    except IntegrityError:
        raise BadNotification("reused_nonce", "支付通知的随机串已使用过。") from None


PURPOSE_DEPOSIT = "deposit"


def payment_create_deposit(*, shop_id: int, amount: int, provider: str | None = None, return_url: str) -> tuple[Payment, str]:
    """A top-up of the shop's deposit (保证金) paid at a gateway, through the same signed,
    asynchronous notification as an order's payment. Returns (payment, pay_url); the deposit
    moves only when the notification arrives (``external → merchant:<id>:deposit``)."""
    impl = providers.get(provider or providers.default())
    if impl.name == providers.WALLET:
        raise BadNotification("deposit_needs_gateway", "保证金只能通过在线支付或可用余额充值。", status=400)
    payment = Payment(purpose=PURPOSE_DEPOSIT, deposit_shop_id=shop_id, provider=impl.name, out_trade_no=_number("D"),
                      amount=int(amount), created_at=clock.now())
    payment.pay_url = impl.create_payment(payment=payment, subject="店铺保证金充值", merchant_no=str(shop_id), return_url=return_url)
    payment.save(force_insert=True)
    watch_start(payment)
    return payment, payment.pay_url


def _deposit_paid(payment: Payment, *, provider: str, gateway_trade_no: str) -> str:
    ledger.entry_post(
        kind="deposit_topup", idempotency_key=f"payment:{payment.pk}",
        lines=[(codes.external(provider), -payment.amount), (codes.merchant_deposit(payment.deposit_shop_id), payment.amount)],
        ref_type="payment", ref_id=payment.pk, memo=f"保证金充值 {provider} {gateway_trade_no}",
    )
    deposit_changed(shop_id=payment.deposit_shop_id)
    return "deposit"


DESTINATIONS = ("source", "wallet")


def _credited(order) -> Payment:
    """The payment a refund of the order goes back through: the credited one (an order may have
    several; only one was credited). None credited (a refund before any success): the newest."""
    from kadun.payments.selectors import payment_of

    payment = payment_of(order)
    if payment is None:
        raise Payment.DoesNotExist(f"order {order.pk} has no payment")
    return payment


def refund_by_key(key: str) -> Refund | None:
    return Refund.objects.filter(idempotency_key=f"refund:{key}").first()


def refund_issue(*, order, amount: int, reason: str, destination: str = "source", note: str = "", key: str | None = None) -> Refund:
    """Pay ``amount`` back to the buyer, in the caller's transaction, as one balanced entry:

    - from the order's escrow while the money is still held;
    - after release, from the platform fee share and the merchant: the order's pending income
      first, then the shop's available balance, then its deposit (保证金); what the merchant
      cannot cover is paid by the platform advance account (先行赔付) and booked as the
      merchant's debt. A deposit taken is announced (``registry.deposit_changed``) in the same
      transaction, so the shop's deposit position is brought up to date.

    The money goes to where the buyer paid from (``source``: the provider's refund call is sent
    through the outbox after commit) or to the buyer's wallet. ``key`` makes it idempotent: the
    same key never pays twice. The cap (never more than was paid) is the caller's:
    ``orders.services.order_refund``."""
    from kadun.ledger.selectors import balance_of, released_from_escrow, sum_for_ref

    from kadun.core.errors import InvalidInput

    if destination not in DESTINATIONS:
        raise InvalidInput("invalid_destination", "退款去向只能是原路退回或平台余额。")
    if destination == "wallet" and not order.buyer_id:
        raise InvalidInput("wallet_needs_account", "游客订单只能原路退回。")
    payment = _credited(order)
    refund_no = _number("R")
    idem = f"refund:{key or refund_no}"
    existing = Refund.objects.filter(idempotency_key=idem).first()
    if existing is not None:
        return existing
    amount = int(amount)
    held = balance_of(codes.escrow(order.pk))
    from_escrow = min(amount, held)
    rest = amount - from_escrow
    lines = [(codes.escrow(order.pk), -from_escrow)] if from_escrow else []
    shortfall = from_pool = 0
    if rest:
        fee_left = sum_for_ref(code=codes.PLATFORM_FEES, ref_type="order", ref_id=order.pk)
        released = released_from_escrow(order_id=order.pk)  # what left escrow at confirmation: the fee's base
        if order.refunded_amount >= order.amount:
            fee_back = max(fee_left, 0)  # refunded in full: the platform keeps no fee
        else:
            fee_back = min(fee_left, (rest * order.fee + released // 2) // max(released, 1))
        merchant_part = rest - fee_back
        pending_left = sum_for_ref(code=codes.merchant_pending(order.shop_id), ref_type="order", ref_id=order.pk)
        from_pending = min(merchant_part, max(pending_left, 0), balance_of(codes.merchant_pending(order.shop_id)))
        from_available = min(merchant_part - from_pending, balance_of(codes.merchant_available(order.shop_id)))
        from_deposit = min(merchant_part - from_pending - from_available, balance_of(codes.merchant_deposit(order.shop_id)))
        shortfall = merchant_part - from_pending - from_available - from_deposit
        # 售后保险: an insured order's shortfall is paid by the pool (as far as it holds), before 先行赔付.
        from_pool = min(insured_shortfall(order=order, shortfall=shortfall), shortfall) if shortfall else 0
        lines += [
            (codes.PLATFORM_FEES, -fee_back),
            (codes.merchant_pending(order.shop_id), -from_pending),
            (codes.merchant_available(order.shop_id), -from_available),
            (codes.merchant_deposit(order.shop_id), -from_deposit),
            (codes.PLATFORM_INSURANCE_POOL, -from_pool),
            (codes.PLATFORM_ADVANCE, -(shortfall - from_pool)),
        ]
    to_wallet = destination == "wallet" or payment.provider == "wallet"  # a wallet payment's source is the wallet
    target = codes.buyer_wallet(order.buyer_id) if to_wallet else codes.external(payment.provider)
    lines.append((target, amount))
    refund = Refund.objects.create(
        order=order, payment=payment, refund_no=refund_no, amount=amount, reason=reason[:40], note=note[:300],
        destination="wallet" if to_wallet else "source", idempotency_key=idem, created_at=clock.now(),
        status=RefundStatus.SUCCEEDED if to_wallet else RefundStatus.PENDING,
        completed_at=clock.now() if to_wallet else None,
    )
    evidence.record("payments.refund", refund)
    ledger.entry_post(kind="refund", idempotency_key=idem, lines=lines, ref_type="order", ref_id=order.pk, memo=reason)
    if rest and from_deposit:
        deposit_changed(shop_id=order.shop_id)
    if shortfall - from_pool:
        # 先行赔付: the platform advanced what the merchant could not cover; the merchant owes it.
        ledger.entry_post(
            kind="merchant_debt", idempotency_key=f"debt:{idem}",
            lines=[(codes.merchant_debt(order.shop_id), -(shortfall - from_pool)), (codes.PLATFORM_ADVANCE, shortfall - from_pool)],
            ref_type="order", ref_id=order.pk, memo="先行赔付，记为商家欠款",
        )
    if from_pool:
        # The pool paid: the claim's row and its entry (the merchant's debt, owed to the pool).
        insured_claim_paid(order=order, amount=from_pool, refund=refund)
    if not to_wallet:
        outbox_enqueue(topic="provider_refund", payload={"refund_id": refund.pk})
    return refund


def payment_pay_with_wallet(*, order, user) -> str:
    """Pay a pending order from the buyer's wallet: wallet → escrow and delivery, in one
    transaction. The floored wallet account refuses the entry when the balance is short
    (WalletInsufficient, nothing changed)."""
    from kadun.core.errors import Forbidden
    from kadun.ledger.errors import InsufficientFunds

    if not user or not user.is_authenticated or order.buyer_id != user.pk:
        raise Forbidden("wallet_not_yours", "只能用自己的余额支付自己的订单。")
    try:
        with transaction.atomic():
            newest = list(Payment.objects.filter(order=order).order_by("-id")[:2])  # the current one, and whether it has siblings
            payment = newest[0] if newest else None
            if payment is None or payment.provider != "wallet":
                raise BadNotification("not_a_wallet_payment", "该订单不是余额支付。", status=409)
            claimable = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING)
            if len(newest) == 1:
                claimed = claimable.update(status=PaymentStatus.SUCCEEDED, paid_at=clock.now())
            else:
                try:
                    with transaction.atomic():  # another payment of the order was credited: the constraint refuses
                        claimed = claimable.update(status=PaymentStatus.SUCCEEDED, paid_at=clock.now())
                except IntegrityError:
                    claimed = 0  # nothing was taken from the wallet
            if not claimed:
                return "duplicate"
            _paid_in(payment, source=codes.buyer_wallet(user.pk), memo="余额支付")
            return payment_succeeded(order_id=order.pk)
    except InsufficientFunds:
        raise WalletInsufficient() from None


def premium_return(*, order, amount: int, key: str, note: str = "") -> Refund:
    """Give an order's 售后保险 premium back (the cover never started): out of the insurance pool
    to where the buyer paid from, as a refund of its own (reason ``insurance_premium``; the
    provider's refund call goes through the outbox after commit). Idempotent on ``key``. The
    order's ``refunded_amount`` is not touched: the premium was never part of the order's amount."""
    idem = f"refund:{key}"
    existing = Refund.objects.filter(idempotency_key=idem).first()
    if existing is not None:
        return existing
    payment = _credited(order)
    to_wallet = payment.provider == "wallet"
    target = codes.buyer_wallet(order.buyer_id) if to_wallet else codes.external(payment.provider)
    now = clock.now()
    refund = Refund.objects.create(
        order=order, payment=payment, refund_no=_number("R"), amount=int(amount), reason="insurance_premium", note=note[:300],
        destination="wallet" if to_wallet else "source", idempotency_key=idem, created_at=now,
        status=RefundStatus.SUCCEEDED if to_wallet else RefundStatus.PENDING, completed_at=now if to_wallet else None,
    )
    evidence.record("payments.refund", refund)
    ledger.entry_post(kind="insurance_premium_return", idempotency_key=idem, lines=[(codes.PLATFORM_INSURANCE_POOL, -int(amount)), (target, int(amount))],
                      ref_type="order", ref_id=order.pk, memo="售后保险保费退回")
    if not to_wallet:
        outbox_enqueue(topic="provider_refund", payload={"refund_id": refund.pk})
    return refund
