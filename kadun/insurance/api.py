"""售后保险 API.

GET /orders/{order_no}/cover — the order's cover (premium, protection period, status, terms and
their hash, claims paid): for whoever may see the order (``orders.selectors.order_access``: its
buyer, a guest with the order's token, its merchant, staff); everyone else 404 ``order_not_found``
as for an order that doesn't exist; an order without cover 404 ``cover_not_found``.
GET /staff/insurance/pool — the pool for staff (website session only; a bearer key is 403
``session_required``): balance, premiums, claims paid, recoveries, loss ratio, per month.
The cover is bought with ``insure: true`` on POST /orders."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Router, Schema

from kadun.accounts.api_auth import ORDER_AUTH, OPTIONAL_AUTH, STAFF_SESSION_AUTH, caller_of, order_token_of
from kadun.core.api_errors import errors
from kadun.insurance import selectors
from kadun.insurance.errors import CoverNotFound, NotStaff
from kadun.orders.selectors import Viewer, order_access

router = Router(tags=["insurance"])


class ClaimOut(Schema):
    amount: int
    reason: str
    paid_at: dt.datetime


class CoverOut(Schema):
    order_no: str
    premium: int
    protection_days: int
    status: str  # unpaid / waiting_delivery / active / returned
    protection_ends_at: Optional[dt.datetime]
    premium_returned_at: Optional[dt.datetime]
    terms: dict[str, Any]
    terms_hash: str
    claims: list[ClaimOut]
    claims_total: int


class PoolMonthOut(Schema):
    month: dt.datetime
    premiums: int
    premiums_returned: int
    net_premiums: int
    claims_paid: int
    recoveries: int
    loss_ratio: Optional[float]


class PoolOut(Schema):
    balance: int
    covers: int
    claims: int
    totals: dict[str, Optional[float]]
    months: list[PoolMonthOut]


@router.get("/orders/{order_no}/cover", auth=ORDER_AUTH, openapi_extra=OPTIONAL_AUTH, response={200: CoverOut, **errors(401, 404)},
            summary="订单的售后保险")
def order_cover(request, order_no: str):
    caller = caller_of(request)
    viewer = Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)
    order, _role = order_access(order_no=order_no, viewer=viewer, related=("shop",) if caller.authenticated else ())
    cover = selectors.order_cover(order)
    if cover is None:
        raise CoverNotFound()
    return {"order_no": order.order_no, **cover}


@router.get("/staff/insurance/pool", auth=STAFF_SESSION_AUTH, response={200: PoolOut, **errors(401, 403)}, summary="平台：售后保险池")
def pool(request):
    user = caller_of(request).user
    if not getattr(user, "staff_role", ""):
        raise NotStaff()
    return selectors.pool_summary()
