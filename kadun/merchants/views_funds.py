"""资金: the merchant's deposit (保证金), payout accounts and withdrawals (提现); the staff
console's withdrawal review, manual payout confirmation and deposits overview; the public
deposit rules. Writes go through ``deposit`` / ``payout_accounts`` / ``withdrawals``."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.core.money import yuan_to_fen
from kadun.ledger.merchant_funds import shop_funds
from kadun.merchants import deposit as dep
from kadun.merchants import payout_accounts, withdrawals
from kadun.merchants.access import merchant_page
from kadun.merchants.selectors_deposit import deposit_position, deposit_terms, deposits_overview, grace_ends_at
from kadun.merchants.selectors_funds import withdrawal_of, withdrawals_for_staff, withdrawals_of_shop
from kadun.merchants.states_funds import AccountKind


FUNDS_ROLES = ("risk", "admin")


def rules_context() -> dict:
    return {"minimum": settings.KADUN_DEPOSIT_MINIMUM, "sales_pct": f"{settings.KADUN_DEPOSIT_SALES_BPS / 100:g}",
            "window": settings.KADUN_DEPOSIT_WINDOW_DAYS, "grace": settings.KADUN_DEPOSIT_GRACE_HOURS,
            "bands": {k: f"{v / 1000:g}" for k, v in settings.KADUN_DEPOSIT_BAND_PERMILLE.items()},
            "release_days": settings.KADUN_DEPOSIT_RELEASE_DAYS, "withdrawal_min": settings.KADUN_WITHDRAWAL_MIN,
            "fee_pct": f"{settings.KADUN_WITHDRAWAL_FEE_BPS / 100:g}", "fee_min": settings.KADUN_WITHDRAWAL_FEE_MIN}


@require_safe
def rules_deposit(request):
    return render(request, "merchants/rules_deposit.html", {"rules": rules_context()})


@merchant_page
def funds(request, shop):
    position = deposit_position(shop.pk)
    return render(request, "merchants/funds.html", {
        "shop": shop, "terms": deposit_terms(shop.pk), "position": position, "grace_ends_at": grace_ends_at(position),
        "balances": shop_funds(shop.pk), "accounts": payout_accounts.payout_accounts_of(shop.pk),
        "withdrawals": withdrawals_of_shop(shop.pk)[:50], "kinds": AccountKind.choices, "rules": rules_context(),
        "release_at": dep.deposit_release_date(shop.pk), "form_key": secrets.token_urlsafe(12),
    })


def _amount(request) -> int:
    from kadun.core.errors import InvalidInput

    try:
        return yuan_to_fen(request.POST.get("amount", ""))
    except (ValueError, TypeError, ArithmeticError):
        raise InvalidInput("invalid_amount", "金额无效。") from None


@merchant_page
@require_POST
def funds_action(request, shop, action: str):
    try:
        if action == "topup":
            if request.POST.get("source") == "available":
                dep.deposit_topup_from_available(shop_id=shop.pk, amount=_amount(request), key=request.POST.get("key", ""))
                messages.success(request, _("已从可用余额转入保证金。"))
            else:
                return redirect(dep.deposit_topup_start(shop_id=shop.pk, amount=_amount(request), return_url=reverse("merchants:funds")))
        elif action == "account":
            payout_accounts.payout_account_add(shop_id=shop.pk, kind=request.POST.get("kind", ""), number=request.POST.get("number", ""),
                                               holder_name=request.POST.get("holder_name", ""), bank_name=request.POST.get("bank_name", ""))
            messages.success(request, _("收款账户已添加。"))
        elif action == "account-remove":
            payout_accounts.payout_account_remove(shop_id=shop.pk, account_id=int(request.POST.get("account_id") or 0))
        elif action == "withdraw":
            w, _created = withdrawals.withdrawal_request(shop_id=shop.pk, account_id=int(request.POST.get("account_id") or 0),
                                                         amount=_amount(request), key=request.POST.get("key", ""), user=request.user)
            messages.success(request, _("提现申请已提交：%(no)s") % {"no": w.withdrawal_no})
        elif action == "close":
            dep.deposit_withdraw_on_close(shop_id=shop.pk)
            messages.success(request, _("店铺已关闭，保证金已转入可用余额。"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("merchants:funds")


@staff_only
@require_safe
def staff_withdrawals(request):
    status = request.GET.get("status", "review")
    return render(request, "merchants/staff_withdrawals.html", {
        "section": "funds", "rows": withdrawals_for_staff(status=status)[:200], "status": status,
        "reason_labels": withdrawals.REASON_LABELS,
    })


@staff_only
@require_POST
def staff_withdrawal_action(request, withdrawal_id: int, action: str):
    """Deciding on money is risk's and admin's; other staff see the queue only (404 here)."""
    if request.user.staff_role not in FUNDS_ROLES:
        raise Http404
    withdrawal_of(withdrawal_id)  # 404 first
    try:
        outcome = ""
        if action == "approve":
            withdrawals.withdrawal_approve(withdrawal_id=withdrawal_id, staff=request.user)
        elif action == "reject":
            withdrawals.withdrawal_reject(withdrawal_id=withdrawal_id, staff=request.user, reason=request.POST.get("reason", ""))
        elif action == "paid":
            outcome = withdrawals.withdrawal_manual_confirm(withdrawal_id=withdrawal_id, staff=request.user,
                                                            reference=request.POST.get("reference", ""))
        elif action == "failed":
            outcome = withdrawals.withdrawal_manual_confirm(withdrawal_id=withdrawal_id, staff=request.user, reference="", succeeded=False,
                                                            reason=request.POST.get("reason", ""))
        else:
            raise Http404
        if outcome == "duplicate":
            messages.info(request, _("该提现已确认过，未重复记账。"))
        else:
            messages.success(request, _("已处理。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("merchants:staff_withdrawals") + "?status=" + request.POST.get("back", "review"))


@staff_only
@require_safe
def staff_deposits(request):
    return render(request, "merchants/staff_deposits.html", {"section": "funds", "rows": deposits_overview(short_only=request.GET.get("short") == "1")})
