"""Reads of withdrawals and payout accounts (who sees what: a shop its own, staff all)."""
from __future__ import annotations

from kadun.merchants.errors_funds import WithdrawalNotFound
from kadun.merchants.models_funds import Withdrawal


def withdrawals_of_shop(shop_id: int):
    return Withdrawal.objects.filter(shop_id=shop_id).select_related("account").order_by("-id")


def withdrawal_of_shop(*, shop_id: int, withdrawal_no: str) -> Withdrawal:
    w = Withdrawal.objects.filter(shop_id=shop_id, withdrawal_no=withdrawal_no).select_related("account").first()
    if w is None:
        raise WithdrawalNotFound()
    return w


def withdrawal_of(withdrawal_id: int) -> Withdrawal:
    from django.http import Http404

    w = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if w is None:
        raise Http404
    return w


def withdrawals_for_staff(*, status: str = ""):
    qs = Withdrawal.objects.select_related("shop", "account").order_by("id" if status in ("review", "sent") else "-id")
    return qs.filter(status=status) if status else qs
