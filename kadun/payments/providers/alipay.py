"""Alipay open platform (支付宝开放平台): 电脑网站支付 (alipay.trade.page.pay) and 手机网站支付
(alipay.trade.wap.pay), query, refund, and 转账到支付宝账户 (alipay.fund.trans.uni.transfer) for
payouts. Requests are signed RSA2 with the app's private key; notifications and every synchronous
answer are verified with Alipay's public key (``alipay_sign``). Settings: kadun/settings/gateways_alipay.py.

The notify checks, in order: every required parameter present; ``sign_type`` RSA2; the signature;
``app_id``; ``seller_id`` (our PID); ``total_amount`` parsed exactly to the 分; ``trans_currency``
(CNY unless Alipay says otherwise); ``trade_status``. The payments service then checks the trade
number, the amount, the currency and the shop (``passback_params``, signed by Alipay) against our
own payment. WAIT_BUYER_PAY / TRADE_CLOSED are verified and absorbed: nothing changes."""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kadun.core import clock
from kadun.payments.errors import BadNotification
from kadun.payments.providers import register
from kadun.payments.providers.alipay_sign import notify_content, request_content, response_body, rsa2_sign, rsa2_verify
from kadun.payments.providers.base import QueryResult, RefundAnswer, RefundRefused, VerifiedNotification
from kadun.payments.providers.gateway_http import amount_fen, http_post, yuan

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REQUIRED = ("sign", "app_id", "out_trade_no", "trade_no", "total_amount", "seller_id", "trade_status")
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
ABSORBED = ("WAIT_BUYER_PAY", "TRADE_CLOSED")
PAGE, WAP = "alipay.trade.page.pay", "alipay.trade.wap.pay"
# Which page the buyer is sent to: set by checkout from the buyer's device ("mobile" → 手机网站支付),
# or explicitly; unset → 电脑网站支付.
pay_device: contextvars.ContextVar[str] = contextvars.ContextVar("alipay_pay_device", default="")
# Refusals of alipay.trade.refund that asking again will not change: raised to staff at once.
DEFINITE_REFUSALS = frozenset({
    "ACQ.TRADE_HAS_FINISHED", "ACQ.TRADE_HAS_CLOSE", "ACQ.TRADE_NOT_EXIST", "ACQ.TRADE_STATUS_ERROR",
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "ACQ.REFUND_FEE_ERROR", "ACQ.DISCORDANT_REPEAT_REQUEST", "ACQ.TRADE_NOT_ALLOW_REFUND",
    "ACQ.REASON_TRADE_BEEN_FREEZEN", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "ACQ.ONLINE_TRADE_VOUCHER_NOT_ALLOW_REFUND",
    "ACQ.ACCOUNT_STATE_ILLEGAL", "ACQ.BUYER_ERROR", "isv.invalid-signature", "isv.missing-signature",
})
MOBILE_HINTS = ("mobile", "android", "iphone", "ipod", "micromessenger", "alipayclient")


@dataclass(frozen=True)
class AlipayNotification(VerifiedNotification):
    """A verified notification; ``absorbed`` (WAIT_BUYER_PAY, TRADE_CLOSED) changes nothing."""

    absorbed: bool = False


class GatewayError(RuntimeError):
    """Alipay did not answer, answered unsigned / forged, or refused: the caller retries later."""


def device_of(user_agent: str) -> str:
    ua = (user_agent or "").lower()
    return "mobile" if any(hint in ua for hint in MOBILE_HINTS) else "desktop"


def _timestamp(at: dt.datetime | None = None) -> str:
    return (at or clock.now()).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def signed_request(method: str, biz: dict, **extra: str) -> dict[str, str]:
    """The common parameters plus ``biz_content``, signed RSA2 over the sorted non-empty ones."""
    params = {
        "app_id": settings.KADUN_ALIPAY_APP_ID, "method": method, "format": "JSON", "charset": "utf-8",
        "sign_type": "RSA2", "timestamp": _timestamp(), "version": "1.0",
        "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")), **extra,
    }
    params = {k: v for k, v in params.items() if v not in ("", None)}
    params["sign"] = rsa2_sign(request_content(params), settings.KADUN_ALIPAY_PRIVATE_KEY)
    return params


def call(method: str, biz: dict) -> dict:
    """One synchronous API call. The answer's signature is verified over the exact
    ``…_response`` text; an unsigned or forged answer is a GatewayError, never trusted."""
    try:
        raw = http_post(settings.KADUN_ALIPAY_GATEWAY, signed_request(method, biz), timeout=settings.KADUN_ALIPAY_TIMEOUT_SECONDS)
        text, body, sign = response_body(raw.decode("utf-8"), method)
    except (OSError, ValueError) as exc:
        raise GatewayError(f"{method}: no usable answer ({type(exc).__name__})") from None
    if not rsa2_verify(text, sign, settings.KADUN_ALIPAY_PUBLIC_KEY):
        raise GatewayError(f"{method}: answer signature invalid")
    return body


class AlipayProvider:
    name = "alipay"
    label = _("支付宝")
    notify_methods = ("POST",)

    @staticmethod
    def answer(ok: bool) -> tuple[int, str, str]:
        return (200, "text/plain", "success") if ok else (400, "text/plain", "fail")

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str, device: str | None = None) -> str:
        mobile = (device or pay_device.get()) == "mobile"
        biz = {
            "out_trade_no": payment.out_trade_no, "total_amount": yuan(payment.amount), "subject": subject[:128],
            "product_code": "QUICK_WAP_WAY" if mobile else "FAST_INSTANT_TRADE_PAY",
            "passback_params": merchant_no,  # returned, signed, in every notification: the shop
        }
        expires = getattr(getattr(payment, "order", None), "expires_at", None)
        if expires:
            biz["time_expire"] = _timestamp(expires)
        params = signed_request(WAP if mobile else PAGE, biz, notify_url=settings.KADUN_ALIPAY_NOTIFY_URL, return_url=return_url)
        return settings.KADUN_ALIPAY_GATEWAY + "?" + urlencode(params)

    def verify_notification(self, params: dict[str, str]) -> VerifiedNotification:
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            raise BadNotification("malformed_notification", "支付通知缺少参数：" + ", ".join(missing))
        if params.get("sign_type", "RSA2") != "RSA2":
            raise BadNotification("bad_signature", "支付通知签名类型不支持。")
        if not rsa2_verify(notify_content(params), params["sign"], settings.KADUN_ALIPAY_PUBLIC_KEY):
            raise BadNotification("bad_signature", "支付通知签名错误。")
        if params["app_id"] != settings.KADUN_ALIPAY_APP_ID:
            raise BadNotification("app_mismatch", "支付通知的应用号不符。")
        if params["seller_id"] != settings.KADUN_ALIPAY_SELLER_ID:
            raise BadNotification("seller_mismatch", "支付通知的收款账号不符。")
        status = params["trade_status"]
        if status not in PAID + ABSORBED:
            raise BadNotification("malformed_notification", "支付状态未知。")
        return AlipayNotification(
            out_trade_no=params["out_trade_no"], gateway_trade_no=params["trade_no"], amount=amount_fen(params["total_amount"]),
            currency=params.get("trans_currency") or "CNY", merchant_no=params.get("passback_params", ""),
            succeeded=status in PAID, absorbed=status in ABSORBED,
        )

    def query(self, *, payment) -> QueryResult:
        body = call("alipay.trade.query", {"out_trade_no": payment.out_trade_no})
        if body.get("code") != "10000":
            if body.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return QueryResult("pending")  # the buyer has not opened the cashier yet
            raise GatewayError(f"query: {body.get('sub_code') or body.get('code')}")
        if body.get("out_trade_no", payment.out_trade_no) != payment.out_trade_no:
            raise GatewayError("query answered another trade")
        status = body.get("trade_status")
        if status in PAID:
            try:
                amount = amount_fen(str(body.get("total_amount", "")))
            except BadNotification:
                raise GatewayError("query: malformed total_amount") from None
            return QueryResult("paid", gateway_trade_no=str(body.get("trade_no", ""))[:64], amount=amount,
                               currency=body.get("trans_currency") or "CNY")
        return QueryResult("failed" if status == "TRADE_CLOSED" else "pending")

    def refund(self, *, refund) -> str:
        return self.refund_send(refund=refund).gateway_no

    def refund_send(self, *, refund) -> RefundAnswer:
        """``out_request_no`` is our refund number: Alipay refunds once per number, however often
        asked. ``fund_change=Y``: the money moved now; ``N`` (a repeat, or not yet): confirmed
        by ``query_refund``. A refusal in DEFINITE is raised to staff, any other is retried."""
        body = call("alipay.trade.refund", {
            "out_trade_no": refund.payment.out_trade_no, "refund_amount": yuan(refund.amount),
            "out_request_no": refund.refund_no, "refund_reason": (refund.reason or "退款")[:40],
        })
        if body.get("code") != "10000":
            code = str(body.get("sub_code") or body.get("code") or "unknown")
            raise RefundRefused(f"alipay:{code}", definite=code in DEFINITE_REFUSALS)
        number = f"{body.get('trade_no', '')}:{refund.refund_no}"[:64]
        return RefundAnswer("succeeded" if body.get("fund_change") == "Y" else "processing", number)

    def query_refund(self, *, refund) -> RefundAnswer:
        """alipay.trade.fastpay.refund.query by (out_trade_no, out_request_no): REFUND_SUCCESS with
        our amount is done; no refund data means Alipay never received it (``unknown``)."""
        body = call("alipay.trade.fastpay.refund.query", {
            "out_trade_no": refund.payment.out_trade_no, "out_request_no": refund.refund_no, "query_options": ["gmt_refund_pay"],
        })
        if body.get("code") != "10000":
            if body.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return RefundAnswer("unknown")
            raise GatewayError(f"refund query: {body.get('sub_code') or body.get('code')}")
        if not body.get("out_request_no") or not body.get("refund_amount"):
            return RefundAnswer("unknown")
        if amount_fen(body["refund_amount"]) != refund.amount:
            raise RefundRefused("alipay:refund_amount_differs", definite=True)
        number = f"{body.get('trade_no', '')}:{refund.refund_no}"[:64]
        return RefundAnswer("succeeded" if body.get("refund_status", "REFUND_SUCCESS") == "REFUND_SUCCESS" else "processing", number)


provider = register(AlipayProvider())
