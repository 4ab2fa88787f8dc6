"""Payout result notifications (提现): verify what a payout gateway says and hand it on.

The withdrawal, its state and its ledger entries are merchants' (``kadun.merchants.withdrawals``);
payments only knows the gateways. A notification is verified by its provider (signature,
timestamp, app id; a provider that signs the raw request — WeChat — by ``verify_payout_request``)
and then given to the handler merchants registers (``registry.payout_result``), in one
transaction with the claim of its signed nonce, if any: a replay finds the nonce taken or the
withdrawal already final and changes nothing; a forged, stale or mismatched one raises
BadNotification and changes nothing (the nonce claim rolls back with it)."""
from __future__ import annotations

from django.db import transaction

from kadun.payments import providers
from kadun.payments.registry import payout_result


def payout_notification_handle(*, provider: str, params: dict[str, str], request=None) -> str:
    """``request``: the ``NotifyRequest`` for a provider with ``verify_payout_request``."""
    from kadun.payments.errors import UnknownProvider

    impl = providers.payout_provider(provider)
    if impl.name != provider or impl.manual:
        raise UnknownProvider()
    if hasattr(impl, "verify_payout_request"):
        if request is None:
            raise UnknownProvider()
        note = impl.verify_payout_request(request)
    else:
        note = impl.verify_payout_notification(params)
    with transaction.atomic():
        if note.nonce:
            from kadun.payments.services import _nonce_claim

            _nonce_claim(provider=impl.name, nonce=note.nonce)  # one namespace with its payment notifications
        return payout_result(payout_no=note.payout_no, succeeded=note.succeeded, gateway_no=note.gateway_no,
                             reason=note.reason, amount=note.amount)
