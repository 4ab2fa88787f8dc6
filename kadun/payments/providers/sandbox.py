"""The built-in sandbox gateway.

It plays a real gateway end to end: kadun registers a payment, sends the buyer to the sandbox's
pay page, and learns the outcome only from an asynchronous, signed notification POSTed to
``/pay/notify/sandbox/`` — HMAC-SHA256 over the canonical parameters (sorted ``k=v`` joined by
``&``, ``sign`` excluded), with a timestamp and a nonce — retried until kadun answers ``success``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kadun.core import clock
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.payments.errors import BadNotification
from kadun.payments.models import SandboxRefund, SandboxTrade
from kadun.payments.providers import register
from kadun.payments.providers.base import QueryResult, VerifiedNotification
from kadun.payments.states import SandboxTradeStatus as TradeStatus

REQUIRED = ("app_id", "out_trade_no", "trade_no", "merchant_no", "amount", "currency", "trade_status", "timestamp", "nonce", "sign")


def canonical(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")


def sign(params: dict[str, str], secret: str | None = None) -> str:
    key = (secret or settings.KADUN_SANDBOX_SECRET).encode()
    return hmac.new(key, canonical(params).encode(), hashlib.sha256).hexdigest()


def notification_params(trade: SandboxTrade, *, status: str | None = None) -> dict[str, str]:
    """The parameters the gateway sends for a trade, freshly timestamped and signed."""
    params = {
        "app_id": settings.KADUN_SANDBOX_APP_ID,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "merchant_no": trade.merchant_no,
        "amount": str(trade.amount),
        "currency": trade.currency,
        "trade_status": status or ("SUCCESS" if trade.status == "paid" else "FAIL"),
        "timestamp": str(int(clock.now().timestamp())),
        "nonce": secrets.token_hex(12),
    }
    params["sign"] = sign(params)
    return params


def _http_post(url: str, params: dict[str, str]) -> str:
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own notify URL)
        return response.read().decode(errors="replace")


# How notifications travel. Real HTTP by default; tests may point it at a test client.
transport: Callable[[str, dict[str, str]], str] = _http_post


class SandboxProvider:
    name = "sandbox"
    label = _("沙箱支付（测试）")

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        SandboxTrade.objects.create(
            out_trade_no=payment.out_trade_no,
            trade_no="SB" + secrets.token_hex(10).upper(),
            merchant_no=merchant_no,
            amount=payment.amount,
            currency=payment.currency,
            subject=subject[:120],
            return_url=return_url[:300],
            created_at=clock.now(),
            expires_at=getattr(payment.order, "expires_at", None),  # the gateway's time_expire
        )
        return reverse("payments:sandbox_pay", args=[payment.out_trade_no])

    def verify_notification(self, params: dict[str, str]) -> VerifiedNotification:
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            raise BadNotification("malformed_notification", "支付通知缺少参数：" + ", ".join(missing))
        if not hmac.compare_digest(sign(params).encode(), str(params["sign"]).encode()):
            raise BadNotification("bad_signature", "支付通知签名错误。")
        if params["app_id"] != settings.KADUN_SANDBOX_APP_ID:
            raise BadNotification("app_mismatch", "支付通知的应用号不符。")
        try:
            timestamp = int(params["timestamp"])
            amount = int(params["amount"])
        except ValueError:
            raise BadNotification("malformed_notification", "支付通知参数格式错误。") from None
        if abs(clock.now().timestamp() - timestamp) > settings.KADUN_NOTIFY_MAX_SKEW_SECONDS:
            raise BadNotification("stale_timestamp", "支付通知已过期。")
        if params["trade_status"] not in ("SUCCESS", "FAIL"):
            raise BadNotification("malformed_notification", "支付状态未知。")
        return VerifiedNotification(
            out_trade_no=params["out_trade_no"],
            gateway_trade_no=params["trade_no"],
            amount=amount,
            currency=params["currency"],
            merchant_no=params["merchant_no"],
            succeeded=params["trade_status"] == "SUCCESS",
        )

    def query(self, *, payment) -> QueryResult:
        """The sandbox's own books, as its query API would answer (the sandbox is in-process)."""
        trade = SandboxTrade.objects.filter(out_trade_no=payment.out_trade_no).first()
        if trade is None or trade.status not in (TradeStatus.PAID, TradeStatus.FAILED):
            return QueryResult("pending")
        if trade.status == TradeStatus.FAILED:
            return QueryResult("failed")
        return QueryResult("paid", gateway_trade_no=trade.trade_no, amount=trade.amount, currency=trade.currency, merchant_no=trade.merchant_no)

    def refund(self, *, refund) -> str:
        trade = SandboxTrade.objects.get(out_trade_no=refund.payment.out_trade_no)
        try:
            with transaction.atomic():
                SandboxRefund.objects.create(refund_no=refund.refund_no, out_trade_no=trade.out_trade_no, amount=refund.amount, created_at=clock.now())
                from django.db.models import F

                SandboxTrade.objects.filter(pk=trade.pk).update(refunded=F("refunded") + refund.amount)
        except IntegrityError:
            pass  # already refunded at the gateway: a retry
        return "SBR" + refund.refund_no


provider = register(SandboxProvider())


# --- the gateway's side: the buyer pays or fails on the sandbox page ------------------------


def sandbox_trade_finish(*, out_trade_no: str, paid: bool) -> SandboxTrade:
    """The buyer clicked 支付 or 支付失败 on the sandbox page. The gateway records it and queues
    its asynchronous notification; kadun's books change only when that notification arrives.

    A failed attempt may be tried again, as at a real gateway, until the trade expires (the
    order's payment deadline); a paid trade is final. Both guards are in the update's WHERE, so
    two tabs racing each other change the trade once."""
    now = clock.now()
    with transaction.atomic():
        trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
        if trade is None:
            raise BadNotification("unknown_trade", "沙箱交易不存在。", status=404)
        sources = [TradeStatus.CREATED, TradeStatus.FAILED] if paid else [TradeStatus.CREATED]
        open_trade = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        changed = SandboxTrade.objects.filter(open_trade, pk=trade.pk, status__in=sources).update(
            status=TradeStatus.PAID if paid else TradeStatus.FAILED, paid_at=now if paid else None
        )
        if changed:
            trade.refresh_from_db()
            outbox_enqueue(topic="sandbox_notify", payload={"out_trade_no": trade.out_trade_no})
    return trade


@sender("sandbox_notify")
def _send_notification(payload: dict) -> None:
    trade = SandboxTrade.objects.get(out_trade_no=payload["out_trade_no"])
    answer = transport(settings.KADUN_SANDBOX_NOTIFY_URL, notification_params(trade))
    if answer.strip() != "success":
        raise RuntimeError(f"notify answered {answer[:40]!r}")
