"""转账到支付宝账户 (alipay.fund.trans.uni.transfer, TRANS_ACCOUNT_NO_PWD) for merchant withdrawals.

``out_biz_no`` is the withdrawal's number: Alipay pays once per number, however often asked. The
transfer answers synchronously: SUCCESS or a definite refusal is applied at once through the
withdrawal handler (``registry.payout_result``: a failure returns the money to the shop's
available balance); DEALING, a timeout or a system error leaves the withdrawal sent, and the
sweeper asks ``alipay.fund.trans.common.query`` later. The asynchronous
``alipay.fund.trans.order.changed`` message, when subscribed, is verified like a notify."""
from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kadun.payments.errors import BadNotification
from kadun.payments.providers import register_payout
from kadun.payments.providers.alipay import GatewayError, call
from kadun.payments.providers.alipay_sign import notify_content, rsa2_verify
from kadun.payments.providers.base import PayoutRequest, VerifiedPayout
from kadun.payments.providers.gateway_http import amount_fen, yuan
from kadun.payments.registry import payout_result

PRODUCT = {"product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER"}
# Sub-codes that may succeed when asked again (nothing definite happened): retried, never failed.
RETRYABLE = {"SYSTEM_ERROR", "ISP.SYSTEM_ERROR", "AQC.SYSTEM_ERROR", "PAYMENT_INFO_INCONSISTENCY"}
FAILED = {"FAIL", "REFUND", "CLOSED"}


def _apply(payout_no: str, *, succeeded: bool, gateway_no: str, reason: str = "") -> str:
    with transaction.atomic():
        return payout_result(payout_no=payout_no, succeeded=succeeded, gateway_no=gateway_no, reason=reason[:80])


class AlipayPayoutProvider:
    name = "alipay"
    label = _("支付宝转账")
    manual = False

    def payout(self, *, request: PayoutRequest) -> str:
        if request.account_kind != "alipay" or request.currency != "CNY":
            raise GatewayError("alipay transfers pay Alipay accounts in CNY only")
        body = call("alipay.fund.trans.uni.transfer", {
            "out_biz_no": request.payout_no, "trans_amount": yuan(request.amount), **PRODUCT,
            "order_title": request.memo[:64] or "提现", "remark": request.memo[:200],
            "payee_info": {"identity": request.account_no, "identity_type": "ALIPAY_LOGON_ID", "name": request.holder_name},
        })
        if body.get("code") == "10000":
            order_id, status = body.get("order_id", ""), body.get("status", "")
            if status == "SUCCESS":
                _apply(request.payout_no, succeeded=True, gateway_no=order_id)
            elif status in FAILED:
                _apply(request.payout_no, succeeded=False, gateway_no=order_id, reason=body.get("fail_reason") or "转账失败")
            return order_id
        sub = body.get("sub_code", "")
        if body.get("code") == "40004" and sub and sub not in RETRYABLE:
            # A definite refusal (payee unknown, name differs, balance short…): nothing was paid.
            _apply(request.payout_no, succeeded=False, gateway_no="", reason=body.get("sub_msg") or sub)
            return ""
        raise GatewayError(f"transfer: {sub or body.get('code')}")

    def verify_payout_notification(self, params: dict[str, str]) -> VerifiedPayout:
        if not params.get("sign") or not params.get("biz_content"):
            raise BadNotification("malformed_notification", "转账通知缺少参数。")
        if not rsa2_verify(notify_content(params), params["sign"], settings.KADUN_ALIPAY_PUBLIC_KEY):
            raise BadNotification("bad_signature", "转账通知签名错误。")
        if params.get("app_id") != settings.KADUN_ALIPAY_APP_ID:
            raise BadNotification("app_mismatch", "转账通知的应用号不符。")
        if params.get("msg_method") != "alipay.fund.trans.order.changed":
            raise BadNotification("malformed_notification", "转账通知类型未知。")
        try:
            biz = json.loads(params["biz_content"])
        except ValueError:
            raise BadNotification("malformed_notification", "转账通知参数格式错误。") from None
        status = biz.get("status")
        if status not in FAILED | {"SUCCESS"} or not biz.get("out_biz_no"):
            raise BadNotification("not_final", "转账尚未完成。")
        return VerifiedPayout(payout_no=biz["out_biz_no"], gateway_no=str(biz.get("order_id", "")),
                              amount=amount_fen(biz.get("trans_amount")), succeeded=status == "SUCCESS",
                              reason=str(biz.get("fail_reason", ""))[:80])

    def query_payout(self, *, payout_no: str) -> tuple[str, str]:
        body = call("alipay.fund.trans.common.query", {"out_biz_no": payout_no, **PRODUCT})
        if body.get("code") != "10000":
            if body.get("sub_code") == "ORDER_NOT_EXIST":
                return "unknown", ""
            raise GatewayError(f"transfer query: {body.get('sub_code') or body.get('code')}")
        status = body.get("status", "")
        if status == "SUCCESS":
            return "succeeded", body.get("order_id", "")
        return ("failed" if status in FAILED else "pending"), body.get("order_id", "")


register_payout(AlipayPayoutProvider())
