"""Paying from the buyer's kadun balance (平台余额). Synchronous: there is no gateway and no
notification — the money moves from the wallet account into escrow in the buyer's own request."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kadun.payments.errors import BadNotification
from kadun.payments.providers import register
from kadun.payments.providers.base import QueryResult


class WalletProvider:
    name = "wallet"
    label = _("平台余额")
    queryable = False  # paid in our own books: nothing to ask

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        return return_url

    def verify_notification(self, params):
        raise BadNotification("no_notifications", "余额支付没有异步通知。")

    def query(self, *, payment) -> QueryResult:
        return QueryResult("paid" if payment.status == "succeeded" else "pending", amount=payment.amount)

    def refund(self, *, refund) -> str:
        return "WALLET-" + refund.refund_no  # the ledger entry already credited the wallet


provider = register(WalletProvider())
