"""The merchant API for funds: deposit (保证金) position and top-up, payout accounts, withdrawals
(提现, idempotent by the ``Idempotency-Key`` header). Money is an integer number of 分; scoped
to the caller's own shop."""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from ninja import Router, Schema
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.core.errors import InvalidInput
from kadun.ledger.merchant_funds import shop_funds
from kadun.merchants import deposit as dep
from kadun.merchants import payout_accounts, withdrawals
from kadun.merchants.selectors import shop_of
from kadun.merchants.selectors_deposit import deposit_position, deposit_terms, grace_ends_at
from kadun.merchants.selectors_funds import withdrawal_of_shop, withdrawals_of_shop

router = Router(tags=["merchant funds"], auth=MERCHANT_AUTH)


class DepositOut(Schema):
    required: int
    held: int
    short_since: Optional[dt.datetime]
    grace_ends_at: Optional[dt.datetime]
    kind: str
    minimum: int
    sales_30d: int
    sales_term: int
    largest_order_30d: int
    band: str
    multiplier: str
    winner: str


class FundsOut(Schema):
    available: int
    pending: int
    in_flight: int
    debt: int
    deposit: DepositOut


class TopupIn(Schema):
    amount: int
    source: Literal["available", "pay"] = "pay"
    key: str = ""


class TopupOut(Schema):
    moved: bool = False
    pay_url: str = ""


class AccountIn(Schema):
    kind: Literal["alipay", "wechat", "bank", "usdt_trc20"]
    number: str
    holder_name: str
    bank_name: str = ""


class AccountOut(Schema):
    id: int
    kind: str
    masked: str
    holder_masked: str


class WithdrawalIn(Schema):
    account_id: int
    amount: int


class WithdrawalOut(Schema):
    withdrawal_no: str
    amount: int
    fee: int
    status: str
    review_reasons: list[str]
    note: str
    created_at: dt.datetime
    completed_at: Optional[dt.datetime]


def _shop(request):
    return shop_of(caller_of(request).user)


@router.get("", response={200: FundsOut, **errors(401, 403)}, summary="资金与保证金")
def funds(request):
    shop = _shop(request)
    position, terms, balances = deposit_position(shop.pk), deposit_terms(shop.pk), shop_funds(shop.pk)
    return {
        "available": balances["available"], "pending": balances["pending"], "in_flight": balances["in_flight"], "debt": balances["debt"],
        "deposit": {"required": position.required, "held": position.held, "short_since": position.short_since,
                    "grace_ends_at": grace_ends_at(position), "kind": terms.kind, "minimum": terms.minimum, "sales_30d": terms.sales,
                    "sales_term": terms.sales_term, "largest_order_30d": terms.largest, "band": terms.band,
                    "multiplier": terms.multiplier, "winner": terms.winner},
    }


@router.post("/deposit/topup", response={200: TopupOut, **errors(400, 401, 403, 409, 422)}, summary="充值保证金")
def deposit_topup(request, data: TopupIn):
    shop = _shop(request)
    if data.source == "available":
        if not data.key:
            raise InvalidInput("idempotency_key_required", "从可用余额转入需要 key。")
        return {"moved": dep.deposit_topup_from_available(shop_id=shop.pk, amount=data.amount, key=data.key)}
    return {"pay_url": dep.deposit_topup_start(shop_id=shop.pk, amount=data.amount, return_url="/merchant/funds/")}


@router.get("/payout-accounts", response={200: list[AccountOut], **errors(401, 403)}, summary="收款账户")
def accounts(request):
    return [AccountOut(id=a.pk, kind=a.kind, masked=a.masked, holder_masked=a.holder_masked) for a in payout_accounts.payout_accounts_of(_shop(request).pk)]


@router.post("/payout-accounts", response={201: AccountOut, **errors(400, 401, 403, 409, 422)}, summary="添加收款账户")
def account_add(request, data: AccountIn):
    a = payout_accounts.payout_account_add(shop_id=_shop(request).pk, **data.dict())
    return Status(201, AccountOut(id=a.pk, kind=a.kind, masked=a.masked, holder_masked=a.holder_masked))


@router.get("/withdrawals", response={200: list[WithdrawalOut], **errors(401, 403)}, summary="提现记录")
def withdrawal_list(request):
    return list(withdrawals_of_shop(_shop(request).pk)[:100])


@router.get("/withdrawals/{withdrawal_no}", response={200: WithdrawalOut, **errors(401, 403, 404)}, summary="提现详情")
def withdrawal_detail(request, withdrawal_no: str):
    return withdrawal_of_shop(shop_id=_shop(request).pk, withdrawal_no=withdrawal_no)


@router.post("/withdrawals", response={201: WithdrawalOut, 200: WithdrawalOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="申请提现（Idempotency-Key 必填）")
def withdrawal_create(request, data: WithdrawalIn):
    key = request.headers.get("Idempotency-Key", "")
    w, created = withdrawals.withdrawal_request(shop_id=_shop(request).pk, account_id=data.account_id, amount=data.amount, key=key,
                                                user=caller_of(request).user)
    return Status(201 if created else 200, w)
