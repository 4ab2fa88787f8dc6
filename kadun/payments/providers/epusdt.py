"""USDT-TRC20 through a self-hosted epusdt / BEpusdt service.

epusdt signs with MD5 over the non-empty parameters sorted by name (``k=v`` joined by ``&``,
``signature`` left out) followed directly by the API token, lower-case hex; the callback is a
JSON POST (``status`` 2 = paid) and expects ``ok``. The rate (CNY per USDT) is frozen onto the
payment when it is created (``UsdtTrade``) and sent to the service (BEpusdt's ``rate``); the
callback must carry exactly the USDT amount the buyer was asked for, and the CNY amount to the 分.
epusdt's callback has no timestamp or nonce: a replay finds the payment already paid and changes
nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from decimal import ROUND_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kadun.core import clock
from kadun.payments.errors import BadNotification
from kadun.payments.providers import register
from kadun.payments.providers.base import NotifyRequest, QueryResult, VerifiedNotification

CENT = Decimal("0.01")
# epusdt makes concurrent orders of one amount distinct by adding a few 0.0001 (BEpusdt: 0.01); a
# quote further than this above our own conversion is refused at creation.
MAX_QUOTE_ABOVE = Decimal("0.10")
# BEpusdt also takes TRX and other coins; only USDT on TRON is accepted (epusdt sends no trade_type).
TRADE_TYPE = "usdt.trc20"


class GatewayError(Exception):
    """The service refused a call or answered something we cannot use; the caller retries."""


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def sign(params: dict, token: str | None = None) -> str:
    """epusdt's signature: md5(sorted non-empty ``k=v`` joined by ``&`` + token), lower-case hex."""
    pairs = "&".join(f"{k}={_text(params[k])}" for k in sorted(params) if k != "signature" and _text(params[k]) not in ("", "null"))
    return hashlib.md5((pairs + (settings.KADUN_EPUSDT_TOKEN if token is None else token)).encode()).hexdigest()  # noqa: S324 (the gateway's algorithm)


def yuan(fen: int):
    """分 → yuan as epusdt's JSON number: 42, 28.88, 28.9 (as its Go server formats it back)."""
    value = Decimal(int(fen)) / 100
    return int(value) if value == value.to_integral_value() else float(value)


def usdt_for(fen: int, rate: Decimal) -> Decimal:
    return (Decimal(int(fen)) / 100 / rate).quantize(CENT, rounding=ROUND_UP)


class EpusdtProvider:
    name = "epusdt"
    label = _("USDT (TRC20)")
    notify_methods = ("POST",)
    queryable = False  # no query API: the payment watch does not ask it

    def _post(self, path: str, payload: dict) -> dict:
        payload = dict(payload, signature=sign(payload))
        request = urllib.request.Request(settings.KADUN_EPUSDT_BASE_URL + path, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.KADUN_EPUSDT_TIMEOUT_SECONDS) as response:  # noqa: S310
                data = json.loads(response.read(), parse_float=str, parse_int=str)
        except (OSError, ValueError) as exc:
            raise GatewayError(f"epusdt unreachable: {type(exc).__name__}") from None
        if str(data.get("status_code")) != "200" or not isinstance(data.get("data"), dict):
            raise GatewayError(f"epusdt refused: {str(data.get('message', ''))[:40]}")
        return data["data"]

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        from kadun.payments.models import UsdtTrade

        rate = Decimal(settings.KADUN_EPUSDT_RATE)
        expected = usdt_for(payment.amount, rate)
        data = self._post("/api/v1/order/create-transaction", {
            "order_id": payment.out_trade_no, "amount": yuan(payment.amount), "notify_url": settings.KADUN_EPUSDT_NOTIFY_URL,
            "redirect_url": settings.SITE_URL + return_url if return_url.startswith("/") else return_url,
            "rate": json.loads(str(rate)), "trade_type": TRADE_TYPE,
        })
        try:
            quoted = Decimal(str(data["actual_amount"]))
        except (KeyError, InvalidOperation):
            raise GatewayError("epusdt answered no amount") from None
        if str(data.get("order_id")) != payment.out_trade_no or not expected <= quoted <= expected + MAX_QUOTE_ABOVE:
            raise GatewayError("epusdt quote does not match the frozen rate")
        UsdtTrade.objects.create(out_trade_no=payment.out_trade_no, rate=rate, usdt_amount=quoted,
                                 gateway_trade_no=str(data.get("trade_id", ""))[:64], created_at=clock.now(),
                                 address=str(data.get("token", ""))[:64], payment_url=str(data.get("payment_url", ""))[:500])
        return str(data.get("payment_url", ""))[:500]

    def verify_request(self, req: NotifyRequest) -> VerifiedNotification:
        from kadun.payments.models import UsdtTrade

        try:
            params = json.loads(req.body, parse_float=str, parse_int=str)  # numbers as their literal text
        except ValueError:
            raise BadNotification("malformed_notification", "USDT 支付通知格式错误。") from None
        if not isinstance(params, dict) or not all(params.get(k) for k in ("order_id", "amount", "actual_amount", "status", "signature")):
            raise BadNotification("malformed_notification", "USDT 支付通知缺少参数。")
        if not hmac.compare_digest(sign(params).encode(), str(params["signature"]).encode()):
            raise BadNotification("bad_signature", "USDT 支付通知签名错误。")
        if str(params.get("trade_type") or TRADE_TYPE) != TRADE_TYPE:
            raise BadNotification("currency_mismatch", "USDT 支付通知的币种不符。")
        trade = UsdtTrade.objects.filter(out_trade_no=str(params["order_id"])).first()
        if trade is None:
            raise BadNotification("unknown_payment", "支付通知对应的支付单不存在。")
        try:
            fen = Decimal(str(params["amount"])) * 100
            paid_usdt = Decimal(str(params["actual_amount"]))
        except InvalidOperation:
            raise BadNotification("malformed_notification", "USDT 支付通知参数格式错误。") from None
        if fen != fen.to_integral_value():
            raise BadNotification("amount_mismatch", "支付通知金额与订单不符。")
        if paid_usdt != trade.usdt_amount:
            raise BadNotification("usdt_amount_mismatch", "USDT 支付数额与下单时按冻结汇率折算的数额不符。")
        return VerifiedNotification(
            out_trade_no=trade.out_trade_no, gateway_trade_no=str(params.get("trade_id", ""))[:64], amount=int(fen),
            currency="CNY", merchant_no=None, succeeded=str(params["status"]) == "2",
            details={k: str(params.get(k, "")) for k in ("trade_id", "order_id", "amount", "actual_amount", "block_transaction_id", "status")},
        )

    def answer(self, ok: bool) -> tuple[int, str, str]:
        return (200, "text/plain", "ok") if ok else (400, "text/plain", "fail")

    def query(self, *, payment) -> QueryResult:
        """epusdt has no query API for a merchant: a payment is known from its callback only."""
        return QueryResult("pending")

    def refund(self, *, refund) -> str:
        """A USDT payment cannot be refunded by the service: staff send it back by hand."""
        raise GatewayError("epusdt cannot refund: pay it back by hand")

    def refund_send(self, *, refund):
        from kadun.payments.providers.base import RefundRefused

        raise RefundRefused("epusdt:no_refund_api", definite=True)  # to staff at once: they send the USDT back


provider = register(EpusdtProvider())
