"""易支付 (epay protocol, as 彩虹易支付 and its many clones speak it): submit.php page pay,
MD5-signed notifications by GET or POST, ``api.php?act=order`` query, ``api.php?act=refund``.

sign = md5(sorted non-empty parameters except ``sign`` / ``sign_type``, joined ``k=v&…``, then
the merchant KEY appended), lower-case hex, compared in constant time.

An MD5 notification carries no timestamp and no nonce: anyone who once saw a valid one can replay
it, and a leaked key forges them. So a verified notification is still not believed: the trade is
**queried back** from the panel (``act=order``) and only ``status=1`` with the same money and the
same trade number lets the payment be credited. Settings: kadun/settings/gateways_alipay.py."""
from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kadun.payments.errors import BadNotification
from kadun.payments.models import Payment
from kadun.payments.providers import register
from kadun.payments.providers.base import QueryResult, RefundAnswer, RefundRefused, VerifiedNotification
from kadun.payments.providers.gateway_http import amount_fen, http_get, http_post, yuan

REQUIRED = ("pid", "trade_no", "out_trade_no", "money", "trade_status", "sign")


class GatewayError(RuntimeError):
    """The panel did not answer usefully, or refused: the caller retries (or raises it to staff)."""


def content(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type") and params[k] not in ("", None))


def sign(params: dict[str, str], key: str | None = None) -> str:
    return hashlib.md5((content(params) + (key if key is not None else settings.KADUN_EPAY_KEY)).encode("utf-8")).hexdigest()  # noqa: S324 (the protocol's)


def _api(params: dict[str, str], *, post: bool = False) -> dict:
    url = settings.KADUN_EPAY_API_BASE + "/api.php"
    try:
        raw = (http_post if post else http_get)(url, params, timeout=settings.KADUN_EPAY_TIMEOUT_SECONDS)
        answer = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise GatewayError(f"epay api: no usable answer ({type(exc).__name__})") from None
    return answer if isinstance(answer, dict) else {}


def order_query(out_trade_no: str) -> dict:
    return _api({"act": "order", "pid": settings.KADUN_EPAY_PID, "key": settings.KADUN_EPAY_KEY, "out_trade_no": out_trade_no})


def _payment_of(out_trade_no: str) -> tuple[str, int] | None:
    """(shop, amount) of our payment: checked before the panel is asked, so a mismatched or
    unknown trade costs no query."""
    row = (Payment.objects.filter(provider="epay", out_trade_no=out_trade_no)
           .annotate(shop=Coalesce(F("order__shop_id"), F("deposit_shop_id"))).values_list("shop", "amount").first())
    return None if row is None else (str(row[0]), row[1])


class EpayProvider:
    name = "epay"
    label = _("易支付")
    notify_methods = ("GET", "POST")

    @staticmethod
    def answer(ok: bool) -> tuple[int, str, str]:
        return (200, "text/plain", "success") if ok else (400, "text/plain", "fail")

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        params = {
            "pid": settings.KADUN_EPAY_PID, "type": settings.KADUN_EPAY_TYPE, "out_trade_no": payment.out_trade_no,
            "notify_url": settings.KADUN_EPAY_NOTIFY_URL, "return_url": return_url, "name": subject[:60] or "商品",
            "money": yuan(payment.amount),
        }
        params["sign"], params["sign_type"] = sign(params), "MD5"
        return settings.KADUN_EPAY_API_BASE + "/submit.php?" + urlencode(params)

    def verify_notification(self, params: dict[str, str]) -> VerifiedNotification:
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            raise BadNotification("malformed_notification", "支付通知缺少参数：" + ", ".join(missing))
        if params.get("sign_type", "MD5").upper() != "MD5":
            raise BadNotification("bad_signature", "支付通知签名类型不支持。")
        if not hmac.compare_digest(sign(params).encode(), str(params["sign"]).lower().encode()):
            raise BadNotification("bad_signature", "支付通知签名错误。")
        if params["pid"] != settings.KADUN_EPAY_PID:
            raise BadNotification("merchant_mismatch", "支付通知的商户号不符。")
        if params["trade_status"] != "TRADE_SUCCESS":
            raise BadNotification("not_paid", "支付通知状态不是已支付。")
        amount = amount_fen(params["money"])
        ours = _payment_of(params["out_trade_no"])
        if ours is None:
            raise BadNotification("unknown_payment", "支付通知对应的支付单不存在。")
        shop, expected = ours
        if amount != expected:
            raise BadNotification("amount_mismatch", "支付通知金额与订单不符。")
        self._confirm(params, amount)
        return VerifiedNotification(out_trade_no=params["out_trade_no"], gateway_trade_no=params["trade_no"], amount=amount,
                                    currency="CNY", merchant_no=shop, succeeded=True)

    def _confirm(self, params: dict[str, str], amount: int) -> None:
        """The query-back: the panel itself must say this trade is paid, with this money."""
        try:
            order = order_query(params["out_trade_no"])
        except GatewayError:
            raise BadNotification("query_failed", "无法向易支付核实该交易，稍后重试。") from None
        try:
            confirmed = (str(order.get("code")) == "1" and str(order.get("status")) == "1"
                         and order.get("out_trade_no") == params["out_trade_no"]
                         and str(order.get("trade_no", params["trade_no"])) == params["trade_no"]
                         and amount_fen(str(order.get("money", ""))) == amount)
        except BadNotification:
            confirmed = False
        if not confirmed:
            raise BadNotification("not_confirmed", "易支付查询未确认该交易已支付。")

    def query(self, *, payment) -> QueryResult:
        order = order_query(payment.out_trade_no)
        if str(order.get("code")) != "1":
            return QueryResult("pending")  # the panel does not know the trade (yet)
        if str(order.get("status")) != "1":
            return QueryResult("pending")
        if order.get("out_trade_no", payment.out_trade_no) != payment.out_trade_no or str(order.get("pid", settings.KADUN_EPAY_PID)) != settings.KADUN_EPAY_PID:
            raise GatewayError("epay query answered another trade")
        try:
            amount = amount_fen(str(order.get("money", "")))
        except BadNotification:
            raise GatewayError("epay query: malformed money") from None
        return QueryResult("paid", gateway_trade_no=str(order.get("trade_no", ""))[:64], amount=amount)

    def refund(self, *, refund) -> str:
        return self.refund_send(refund=refund).gateway_no

    def refund_send(self, *, refund) -> RefundAnswer:
        """``api.php?act=refund`` where the panel has it; done when the panel says ``code=1``
        (the protocol has no refund query and no asynchronous refund). ``out_refund_no`` (our
        refund number) makes a retry refund once on panels that honour it; the classic call
        knows only ``out_trade_no`` + ``money``. A panel without the refund API
        (``KADUN_EPAY_REFUND=0``) refuses for good: the refund goes to staff at once."""
        if not settings.KADUN_EPAY_REFUND:
            raise RefundRefused("epay:no_refund_api", definite=True)
        answer = _api({"act": "refund", "pid": settings.KADUN_EPAY_PID, "key": settings.KADUN_EPAY_KEY,
                       "out_trade_no": refund.payment.out_trade_no, "money": yuan(refund.amount),
                       "out_refund_no": refund.refund_no}, post=True)
        if str(answer.get("code")) != "1":
            # A panel's refusal is a free-text message, not a code: counted, retried, then staff's;
            # "不支持的操作" is a panel without the refund API, which no retry will change.
            if "不支持" in str(answer.get("msg", "")):
                raise RefundRefused("epay:no_refund_api", definite=True)
            raise RefundRefused(f"epay:refused:{str(answer.get('code', ''))[:8]}", definite=False)
        return RefundAnswer("succeeded", f"EPR{refund.refund_no}")


provider = register(EpayProvider())
