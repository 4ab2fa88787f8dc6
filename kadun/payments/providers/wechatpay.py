"""WeChat Pay API v3 (微信支付): Native (a QR code on our page) and H5 (the gateway's page).

Requests are signed with the merchant's API key: ``Authorization: WECHATPAY2-SHA256-RSA2048
mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"``, the signature being
SHA256withRSA (PKCS#1 v1.5) over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``. Answers and
notifications are signed by WeChat over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (``Wechatpay-*`` headers),
verified with the platform certificate or the 微信支付公钥 that ``Wechatpay-Serial`` names. A
notification must also be fresh (5 minutes of our clock), carry a nonce never seen before (stored
in the notification's transaction) and decrypt (AEAD_AES_256_GCM, the APIv3 key) to a trade of our
mchid and appid. Payouts (商家转账) are in ``wechatpay_payout``.
"""
from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kadun.core import clock
from kadun.payments.errors import BadNotification
from kadun.payments.providers import register
from kadun.payments.providers.base import NotifyRequest, QueryResult, RefundAnswer, RefundRefused, VerifiedNotification

SIGN_SCHEME = "WECHATPAY2-SHA256-RSA2048"
PAID_STATES = {"SUCCESS"}
FAILED_STATES = {"CLOSED", "REVOKED", "PAYERROR"}


class GatewayError(Exception):
    """The gateway refused a call or answered something we cannot trust; the caller retries.
    ``status`` / ``code``: the HTTP status and WeChat's error code of a refusal (0 / "" else)."""

    def __init__(self, message: str, *, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


# Refund refusals asking again will not change (HTTP 4xx but 429): raised to staff at once.
REFUND_DEFINITE = {"PARAM_ERROR", "INVALID_REQUEST", "NOT_ENOUGH", "NO_AUTH", "USER_ACCOUNT_ABNORMAL", "RESOURCE_NOT_EXISTS",
                   "REQUEST_BLOCKED", "MCH_NOT_EXISTS", "SIGN_ERROR"}


@lru_cache(maxsize=4)
def _private_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


@lru_cache(maxsize=4)
def _verifiers(certs_pem: str, public_key_pem: str, public_key_id: str) -> dict:
    """serial → public key: every platform certificate by its own serial, and the 微信支付公钥 by its id."""
    keys = {}
    if certs_pem:
        for cert in x509.load_pem_x509_certificates(certs_pem.encode()):
            keys[format(cert.serial_number, "X")] = cert.public_key()
    if public_key_pem and public_key_id:
        keys[public_key_id] = serialization.load_pem_public_key(public_key_pem.encode())
    return keys


def verifiers() -> dict:
    return _verifiers(settings.KADUN_WECHATPAY_PLATFORM_CERTS, settings.KADUN_WECHATPAY_PUBLIC_KEY,
                      settings.KADUN_WECHATPAY_PUBLIC_KEY_ID)


def rsa_sign(private_key, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(*, method: str, url: str, body: str, timestamp: int, nonce: str) -> str:
    """The Authorization header of one request (``url``: the path with its query)."""
    message = f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n"
    signature = rsa_sign(_private_key(settings.KADUN_WECHATPAY_PRIVATE_KEY), message)
    return (f'{SIGN_SCHEME} mchid="{settings.KADUN_WECHATPAY_MCHID}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{settings.KADUN_WECHATPAY_CERT_SERIAL}"')


def signature_check(headers: dict, body: bytes) -> tuple[int, str]:
    """Verify a WeChat-signed message (an answer or a notification); returns (timestamp, nonce)."""
    timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
    signature, serial = headers.get("wechatpay-signature", ""), headers.get("wechatpay-serial", "")
    if not (timestamp and nonce and signature and serial):
        raise BadNotification("malformed_notification", "微信支付通知缺少签名头。")
    key = verifiers().get(serial)
    if key is None:
        raise BadNotification("unknown_serial", "微信支付通知的证书序列号未知。")
    try:
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
        return int(timestamp), nonce
    except (InvalidSignature, ValueError):
        raise BadNotification("bad_signature", "微信支付通知签名错误。") from None


def notification_open(req: NotifyRequest, *, what: str) -> tuple[dict, int, str]:
    """A WeChat Pay notification (payment or transfer result) as it reached us: the Wechatpay-*
    signature over the exact body, a timestamp within the skew, a JSON envelope with its
    ``resource``. Returns (envelope, timestamp, nonce); raises BadNotification otherwise."""
    timestamp, nonce = signature_check(req.headers, req.body)
    if abs(clock.now().timestamp() - timestamp) > settings.KADUN_NOTIFY_MAX_SKEW_SECONDS:
        raise BadNotification("stale_timestamp", f"{what}已过期。")
    try:
        envelope = json.loads(req.body)
        if not isinstance(envelope, dict) or not isinstance(envelope["resource"], dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise BadNotification("malformed_notification", f"{what}格式错误。") from None
    return envelope, timestamp, nonce


def notification_answer(ok: bool) -> tuple[int, str, str]:
    """WeChat wants 200/204 for a received notification, 4XX/5XX with code FAIL otherwise."""
    if ok:
        return 200, "application/json", json.dumps({"code": "SUCCESS", "message": "成功"}, ensure_ascii=False)
    return 400, "application/json", json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False)


def decrypt_resource(resource: dict) -> dict:
    """AEAD_AES_256_GCM with the APIv3 key: the notification's actual content."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise BadNotification("malformed_notification", "微信支付通知的加密算法未知。")
    try:
        plain = AESGCM(settings.KADUN_WECHATPAY_APIV3_KEY.encode()).decrypt(
            str(resource["nonce"]).encode(), base64.b64decode(resource["ciphertext"]),
            str(resource.get("associated_data", "")).encode(),
        )
        return json.loads(plain)
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise BadNotification("bad_ciphertext", "微信支付通知无法解密。") from None


def call(method: str, path: str, payload: dict | None = None, *, serial: str | None = None) -> dict:
    """One signed API call; the answer's signature is verified before it is believed. ``serial``:
    the key a sensitive field was encrypted with (sent as Wechatpay-Serial)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
    nonce = secrets.token_hex(16)
    headers = {
        "Authorization": authorization(method=method, url=path, body=body, timestamp=int(clock.now().timestamp()), nonce=nonce),
        "Accept": "application/json", "Content-Type": "application/json", "User-Agent": "kadun",
    }
    if serial or settings.KADUN_WECHATPAY_PUBLIC_KEY_ID:
        headers["Wechatpay-Serial"] = serial or settings.KADUN_WECHATPAY_PUBLIC_KEY_ID
    request = urllib.request.Request(settings.KADUN_WECHATPAY_BASE_URL + path, data=body.encode() if payload is not None else None,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=settings.KADUN_WECHATPAY_TIMEOUT_SECONDS) as response:  # noqa: S310
            raw, answer_headers, status = response.read(), response.headers, response.status
    except urllib.error.HTTPError as exc:
        raw, answer_headers, status = exc.read(), exc.headers, exc.code
    except OSError as exc:
        raise GatewayError(f"wechatpay unreachable: {type(exc).__name__}") from None
    try:
        signature_check({k.lower(): v for k, v in answer_headers.items()}, raw)
    except BadNotification as exc:
        raise GatewayError(f"wechatpay answer not trusted: {exc.code}") from None
    data = json.loads(raw) if raw else {}
    if status >= 400:
        code = str(data.get("code", ""))[:40]
        raise GatewayError(f"wechatpay {status}: {code}", status=status, code=code)
    return data


class WechatPayNative:
    name = "wechatpay"
    label = _("微信支付")
    mode = "native"
    notify_methods = ("POST",)

    def _notify_url(self) -> str:
        return settings.KADUN_WECHATPAY_NOTIFY_URL

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        from kadun.payments.models import WechatTrade

        payload = {
            "appid": settings.KADUN_WECHATPAY_APPID, "mchid": settings.KADUN_WECHATPAY_MCHID,
            "description": subject[:120] or "kadun", "out_trade_no": payment.out_trade_no,
            "notify_url": self._notify_url(), "amount": {"total": int(payment.amount), "currency": "CNY"},
        }
        expires = getattr(payment.order, "expires_at", None)  # the order's payment deadline
        if expires is not None:
            payload["time_expire"] = expires.astimezone().isoformat(timespec="seconds")
        if self.mode == "h5":
            payload["scene_info"] = {"payer_client_ip": getattr(payment, "client_ip", "") or "127.0.0.1", "h5_info": {"type": "Wap"}}
        answer = call("POST", f"/v3/pay/transactions/{self.mode}", payload)
        url = answer.get("code_url" if self.mode == "native" else "h5_url", "")
        if not url:
            raise GatewayError("wechatpay answered no payment url")
        WechatTrade.objects.create(out_trade_no=payment.out_trade_no, mode=self.mode, code_url=url[:500] if self.mode == "native" else "",
                                   return_url=return_url[:300],
                                   amount=payment.amount, created_at=clock.now())
        if self.mode == "native":
            return reverse("payments:wechat_native", args=[payment.out_trade_no])
        return url

    def verify_request(self, req: NotifyRequest) -> VerifiedNotification:
        envelope, timestamp, nonce = notification_open(req, what="微信支付通知")
        trade = decrypt_resource(envelope["resource"])
        if trade.get("mchid") != settings.KADUN_WECHATPAY_MCHID:
            raise BadNotification("merchant_mismatch", "微信支付通知的商户号不符。")
        if trade.get("appid") != settings.KADUN_WECHATPAY_APPID:
            raise BadNotification("app_mismatch", "微信支付通知的应用号不符。")
        amount = trade.get("amount") or {}
        if not isinstance(amount.get("total"), int) or not trade.get("out_trade_no"):
            raise BadNotification("malformed_notification", "微信支付通知参数格式错误。")
        return VerifiedNotification(
            out_trade_no=str(trade["out_trade_no"]), gateway_trade_no=str(trade.get("transaction_id", ""))[:64],
            amount=amount["total"], currency=str(amount.get("currency", "")), merchant_no=None,
            succeeded=trade.get("trade_state") in PAID_STATES, nonce=nonce,
            details={"event_type": str(envelope.get("event_type", "")), "out_trade_no": str(trade["out_trade_no"]),
                     "transaction_id": str(trade.get("transaction_id", "")), "trade_state": str(trade.get("trade_state", "")),
                     "total": str(amount["total"]), "currency": str(amount.get("currency", "")), "timestamp": str(timestamp)},
        )

    def answer(self, ok: bool) -> tuple[int, str, str]:
        return notification_answer(ok)

    def query(self, *, payment) -> QueryResult:
        try:
            data = call("GET", f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}?mchid={settings.KADUN_WECHATPAY_MCHID}")
        except GatewayError as exc:
            if "ORDER_NOT_EXIST" in str(exc):
                return QueryResult("pending")  # the buyer has not scanned the code yet
            raise
        state = data.get("trade_state", "")
        if state in PAID_STATES:
            amount = data.get("amount") or {}
            if (data.get("mchid") != settings.KADUN_WECHATPAY_MCHID or data.get("out_trade_no") != payment.out_trade_no
                    or not isinstance(amount.get("total"), int)):
                raise GatewayError("wechatpay query does not match the payment")
            return QueryResult("paid", gateway_trade_no=str(data.get("transaction_id", ""))[:64], amount=amount["total"],
                               currency=str(amount.get("currency") or "CNY"))
        return QueryResult("failed" if state in FAILED_STATES else "pending")

    def refund(self, *, refund) -> str:
        return self.refund_send(refund=refund).gateway_no

    def refund_send(self, *, refund) -> RefundAnswer:
        """``out_refund_no`` is our refund's number: WeChat refunds it once however often it is
        sent. SUCCESS is done; PROCESSING is finished by ``query_refund``; CLOSED / ABNORMAL and
        the 4xx refusals in REFUND_DEFINITE are raised to staff; anything else is retried."""
        payment = refund.payment
        try:
            data = call("POST", "/v3/refund/domestic/refunds", {
                "out_trade_no": payment.out_trade_no, "out_refund_no": refund.refund_no, "reason": refund.reason[:80],
                "amount": {"refund": int(refund.amount), "total": int(payment.amount), "currency": "CNY"},
            })
        except GatewayError as exc:
            if exc.status:
                raise RefundRefused(f"wechatpay:{exc.code or exc.status}", definite=exc.code in REFUND_DEFINITE) from None
            raise
        return self._refund_answer(data, refund)

    def query_refund(self, *, refund) -> RefundAnswer:
        """``GET /v3/refund/domestic/refunds/{out_refund_no}``; 404 RESOURCE_NOT_EXISTS: WeChat
        never received it (``unknown``: sending it again is safe)."""
        try:
            data = call("GET", f"/v3/refund/domestic/refunds/{refund.refund_no}")
        except GatewayError as exc:
            if exc.status == 404:
                return RefundAnswer("unknown")
            raise
        return self._refund_answer(data, refund)

    @staticmethod
    def _refund_answer(data: dict, refund) -> RefundAnswer:
        status = str(data.get("status", ""))
        if data.get("out_refund_no") != refund.refund_no or (data.get("amount") or {}).get("refund") != refund.amount:
            raise GatewayError("wechatpay refund answer does not match the refund")
        if status in ("CLOSED", "ABNORMAL"):
            raise RefundRefused(f"wechatpay:{status}", definite=True)
        if status not in ("SUCCESS", "PROCESSING") or not data.get("refund_id"):
            raise GatewayError(f"wechatpay refund {status[:20]}")
        return RefundAnswer("succeeded" if status == "SUCCESS" else "processing", str(data["refund_id"])[:64])


class WechatPayH5(WechatPayNative):
    name = "wechatpay_h5"
    label = _("微信支付（H5）")
    mode = "h5"

    def _notify_url(self) -> str:
        return settings.KADUN_WECHATPAY_H5_NOTIFY_URL


def qr_svg(data: str, *, title: str = "微信支付二维码") -> str:
    """A QR code as inline SVG, rendered here: no third-party image service sees the code_url."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title=title)
    return out.getvalue().decode()


provider = register(WechatPayNative())
provider_h5 = register(WechatPayH5())
