"""Payout result notifications (提现): verify what a payout gateway says and hand it on.

The withdrawal, its state and its ledger entries are merchants' (``kadun.merchants.withdrawals``);
payments only knows the gateways. A notification is verified by its provider (signature,
timestamp, app id) and then given to the handler merchants registers
(``registry.payout_result``), in one transaction: a replay finds the withdrawal already final and
changes nothing; a forged or stale one raises BadNotification and changes nothing."""
from __future__ import annotations

from django.db import transaction

from kadun.payments import providers
from kadun.payments.registry import payout_result


def payout_notification_handle(*, provider: str, params: dict[str, str]) -> str:
    impl = providers.payout_provider(provider)
    if impl.name != provider or impl.manual:
        from kadun.payments.errors import UnknownProvider

        raise UnknownProvider()
    note = impl.verify_payout_notification(params)
    with transaction.atomic():
        return payout_result(payout_no=note.payout_no, succeeded=note.succeeded, gateway_no=note.gateway_no,
                             reason=note.reason, amount=note.amount)
