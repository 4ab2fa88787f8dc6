"""微信支付 商家转账 (the 2025 API, ``/v3/fund-app/mch-transfer/transfer-bills``) for merchant
withdrawals to a WeChat 零钱, the payee identified by its openid under our appid.

``out_bill_no`` is the withdrawal's number: WeChat creates one bill per number, however often
asked. The payee confirms in WeChat (``WAIT_USER_CONFIRM``); when the bill is final (SUCCESS,
FAIL, CANCELLED) WeChat POSTs ``MCHTRANSFER.BILL.FINISHED`` to ``/pay/payout-notify/wechatpay/``:
a JSON envelope signed over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (``Wechatpay-*`` headers, the platform
certificate or the 微信支付公钥), its ``resource`` encrypted with AEAD_AES_256_GCM and the APIv3
key. It is believed only when the signature verifies, the timestamp is within
``KADUN_NOTIFY_MAX_SKEW_SECONDS``, the nonce was never seen (stored in the result's transaction),
and the bill is of our mchid (and our appid, where the resource names one); the withdrawal handler
then checks the number and the amount. A result that never comes is asked for with
``query_payout`` by the sweeper. A transfer WeChat refuses outright (a signed 400/403: an openid
not of our appid, balance short …) for which no bill exists fails the withdrawal at once, and the
money goes back to the shop's available balance; any other error is retried."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kadun.payments.errors import BadNotification
from kadun.payments.providers import register_payout
from kadun.payments.providers.base import NotifyRequest, PayoutRequest, VerifiedPayout
from kadun.payments.providers.wechatpay import GatewayError, call, decrypt_resource, notification_answer, notification_open, verifiers
from kadun.payments.registry import payout_result

EVENT = "MCHTRANSFER.BILL.FINISHED"
FINAL = {"SUCCESS", "FAIL", "CANCELLED"}
# 转账金额 ≥ 2,000 元: WeChat requires the payee's real name, encrypted with its public key.
NAME_REQUIRED_FROM = 200_000


def encrypt_for_wechat(text: str) -> tuple[str, str]:
    """(ciphertext, serial): RSA-OAEP (SHA-1) with the 微信支付公钥 or the first platform certificate,
    as WeChat requires for sensitive fields; the serial goes in the request's Wechatpay-Serial."""
    keys = verifiers()
    serial = settings.KADUN_WECHATPAY_PUBLIC_KEY_ID or next(iter(keys), "")
    if serial not in keys:
        raise GatewayError("no wechatpay public key to encrypt the payee's name with")
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303 (WeChat's scheme)
    return base64.b64encode(keys[serial].encrypt(text.encode(), oaep)).decode(), serial


class WechatTransfer:
    name = "wechatpay"
    label = _("微信商家转账")
    manual = False

    def payout(self, *, request: PayoutRequest) -> str:
        if request.account_kind != "wechat" or request.currency != "CNY":
            raise GatewayError("wechat transfers pay WeChat (openid) accounts in CNY only")
        payload = {
            "appid": settings.KADUN_WECHATPAY_APPID, "out_bill_no": request.payout_no,
            "transfer_scene_id": settings.KADUN_WECHATPAY_TRANSFER_SCENE_ID, "openid": request.account_no,
            "transfer_amount": int(request.amount), "transfer_remark": (request.memo or "kadun 提现")[:32],
            "notify_url": settings.KADUN_WECHATPAY_TRANSFER_NOTIFY_URL,
            "transfer_scene_report_infos": [{"info_type": "岗位类型", "info_content": "商家"}, {"info_type": "报酬说明", "info_content": "货款结算"}],
        }
        serial = None
        if request.amount >= NAME_REQUIRED_FROM:
            payload["user_name"], serial = encrypt_for_wechat(request.holder_name)
        try:
            data = call("POST", "/v3/fund-app/mch-transfer/transfer-bills", payload, serial=serial)
        except GatewayError as exc:
            if exc.status in (400, 403) and self.query_payout(payout_no=request.payout_no)[0] == "unknown":
                # A signed, definite refusal (openid not of our appid, balance short, no permission …)
                # and no bill exists under this number: nothing was or will be paid.
                with transaction.atomic():
                    payout_result(payout_no=request.payout_no, succeeded=False, gateway_no="", reason=f"微信转账被拒绝：{exc.code}"[:80])
                return ""
            raise
        if not data.get("transfer_bill_no"):
            raise GatewayError("wechatpay transfer answered no bill")
        return str(data["transfer_bill_no"])[:64]

    def verify_payout_notification(self, params: dict[str, str]) -> VerifiedPayout:
        raise BadNotification("malformed_notification", "微信转账通知应为签名的 JSON 请求。")

    def verify_payout_request(self, req: NotifyRequest) -> VerifiedPayout:
        envelope, _timestamp, nonce = notification_open(req, what="微信转账通知")
        if envelope.get("event_type") != EVENT:
            raise BadNotification("malformed_notification", "微信转账通知类型未知。")
        bill = decrypt_resource(envelope["resource"])
        if bill.get("mchid", bill.get("mch_id")) != settings.KADUN_WECHATPAY_MCHID:
            raise BadNotification("merchant_mismatch", "微信转账通知的商户号不符。")
        if "appid" in bill and bill["appid"] != settings.KADUN_WECHATPAY_APPID:
            raise BadNotification("app_mismatch", "微信转账通知的应用号不符。")
        state, amount = bill.get("state"), bill.get("transfer_amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or not bill.get("out_bill_no"):
            raise BadNotification("malformed_notification", "微信转账通知参数格式错误。")
        if state not in FINAL:
            raise BadNotification("not_final", "转账尚未完成。")
        reason = "" if state == "SUCCESS" else str(bill.get("fail_reason") or ("用户未确认收款，已撤销" if state == "CANCELLED" else "转账失败"))
        return VerifiedPayout(payout_no=str(bill["out_bill_no"]), gateway_no=str(bill.get("transfer_bill_no", ""))[:64],
                              amount=amount, succeeded=state == "SUCCESS", reason=reason[:80], nonce=nonce)

    def answer(self, ok: bool) -> tuple[int, str, str]:
        return notification_answer(ok)

    def query_payout(self, *, payout_no: str) -> tuple[str, str]:
        try:
            data = call("GET", f"/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{payout_no}")
        except GatewayError as exc:
            if exc.status == 404:
                return "unknown", ""
            raise
        state = data.get("state", "")
        status = "succeeded" if state == "SUCCESS" else "failed" if state in ("FAIL", "CANCELLED") else "pending"
        return status, str(data.get("transfer_bill_no", ""))[:64]


provider = register_payout(WechatTransfer())
