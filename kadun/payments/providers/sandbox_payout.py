"""The sandbox payout gateway (提现), and the manual payout "provider".

The sandbox plays a real transfer API end to end: kadun asks it to pay a withdrawal (idempotent
by the withdrawal's number), it answers with an acceptance at once, and tells the result later
through an asynchronous, signed notification POSTed to ``/pay/payout-notify/sandbox/`` —
HMAC-SHA256 over the canonical parameters, with a timestamp and a nonce, as the payment
notifications are — retried until kadun answers ``success``. A result that never arrives is
asked for (``query_payout``) by the sweeper.

It fails a payout when told to (``fail_when``: tests, or an account number ending in ``0000``,
the sandbox's documented failing payee), so the failure path can be tried by hand.

``manual`` pays nothing by itself: staff transfer the money (bank card, USDT) and confirm the
withdrawal with the transfer's reference in the staff console.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from kadun.core import clock
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.payments.errors import BadNotification
from kadun.payments.models import SandboxPayout
from kadun.payments.providers import register_payout
from kadun.payments.providers import sandbox
from kadun.payments.providers.base import PayoutRequest, VerifiedPayout

REQUIRED = ("app_id", "payout_no", "gateway_no", "amount", "status", "timestamp", "nonce", "sign")


def _fails_by_default(request: PayoutRequest) -> bool:
    return request.account_no.endswith("0000")


# Whether the sandbox fails a payout. Tests replace it.
fail_when: Callable[[PayoutRequest], bool] = _fails_by_default


def payout_params(payout: SandboxPayout) -> dict[str, str]:
    """The result notification the gateway sends for a payout, freshly timestamped and signed."""
    params = {
        "app_id": settings.KADUN_SANDBOX_APP_ID,
        "payout_no": payout.payout_no,
        "gateway_no": payout.gateway_no,
        "amount": str(payout.amount),
        "status": "SUCCESS" if payout.status == "succeeded" else "FAIL",
        "reason": payout.reason or "-",
        "timestamp": str(int(clock.now().timestamp())),
        "nonce": secrets.token_hex(12),
    }
    params["sign"] = sandbox.sign(params)
    return params


class SandboxPayoutProvider:
    name = "sandbox"
    label = _("沙箱转账（测试）")
    manual = False

    def payout(self, *, request: PayoutRequest) -> str:
        failed = fail_when(request)
        try:
            with transaction.atomic():
                payout = SandboxPayout.objects.create(
                    payout_no=request.payout_no, gateway_no="SBP" + secrets.token_hex(10).upper(), amount=request.amount,
                    account_kind=request.account_kind, account_tail=request.account_no[-4:],
                    status="failed" if failed else "succeeded", reason="收款账户校验失败" if failed else "", created_at=clock.now(),
                )
        except IntegrityError:
            return SandboxPayout.objects.get(payout_no=request.payout_no).gateway_no  # asked again: paid once
        outbox_enqueue(topic="sandbox_payout_notify", payload={"payout_no": payout.payout_no})
        return payout.gateway_no

    def verify_payout_notification(self, params: dict[str, str]) -> VerifiedPayout:
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            raise BadNotification("malformed_notification", "转账通知缺少参数：" + ", ".join(missing))
        if not hmac.compare_digest(sandbox.sign(params).encode(), str(params["sign"]).encode()):
            raise BadNotification("bad_signature", "转账通知签名错误。")
        if params["app_id"] != settings.KADUN_SANDBOX_APP_ID:
            raise BadNotification("app_mismatch", "转账通知的应用号不符。")
        try:
            timestamp, amount = int(params["timestamp"]), int(params["amount"])
        except ValueError:
            raise BadNotification("malformed_notification", "转账通知参数格式错误。") from None
        if abs(clock.now().timestamp() - timestamp) > settings.KADUN_NOTIFY_MAX_SKEW_SECONDS:
            raise BadNotification("stale_timestamp", "转账通知已过期。")
        if params["status"] not in ("SUCCESS", "FAIL"):
            raise BadNotification("malformed_notification", "转账状态未知。")
        return VerifiedPayout(payout_no=params["payout_no"], gateway_no=params["gateway_no"], amount=amount,
                              succeeded=params["status"] == "SUCCESS", reason=params.get("reason", "")[:80].strip("-"))

    def query_payout(self, *, payout_no: str) -> tuple[str, str]:
        payout = SandboxPayout.objects.filter(payout_no=payout_no).first()
        if payout is None:
            return "unknown", ""
        return payout.status, payout.gateway_no


class ManualPayoutProvider:
    """Staff pay by hand and confirm with the transfer reference (bank transfer, USDT-TRC20)."""

    name = "manual"
    label = _("人工转账")
    manual = True

    def payout(self, *, request: PayoutRequest) -> str:
        return ""

    def verify_payout_notification(self, params: dict[str, str]) -> VerifiedPayout:
        raise BadNotification("no_notifications", "人工转账没有回调通知。", status=404)

    def query_payout(self, *, payout_no: str) -> tuple[str, str]:
        return "pending", ""


register_payout(SandboxPayoutProvider())
register_payout(ManualPayoutProvider())


@sender("sandbox_payout_notify")
def _send_payout_notification(payload: dict) -> None:
    payout = SandboxPayout.objects.get(payout_no=payload["payout_no"])
    answer = sandbox.transport(settings.KADUN_SANDBOX_PAYOUT_NOTIFY_URL, payout_params(payout))
    if answer.strip() != "success":
        raise RuntimeError(f"payout notify answered {answer[:40]!r}")
