"""Orders for buyers and guests: checkout, read, reveal a key, confirm.

An order is visible to whoever ``orders.selectors.order_access`` says: its buyer (API key or
session), a guest presenting the order's token in ``X-Order-Token``, the merchant of the order,
and staff. Everyone else gets 404 ``order_not_found``, the same as for an order that does not
exist. Only the buyer may reveal keys or confirm. An API key acts only in the roles its scopes
name: through a ``buyer`` / ``buyer:read`` key the order is visible only to its buyer, never to
the key user's shop or staff role (404).
"""
from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from kadun.accounts.api_auth import CHECKOUT_AUTH, OPTIONAL_AUTH, ORDER_AUTH, caller_of, order_token_of
from kadun.core.api_errors import errors
from kadun.core.client_ip import client_ip
from kadun.core.errors import Forbidden
from kadun.inventory.errors import KeyNotFound
from kadun.inventory.services import key_reveal
from kadun.orders import services
from kadun.orders.schemas import (
    OrderCreatedOut,
    OrderCreateIn,
    OrderOut,
    PaymentSwitchIn,
    PaymentSwitchOut,
    RevealOut,
    absolute_url,
    order_out,
)
from kadun.orders.selectors import BUYER, Viewer, order_access
from kadun.orders.states import Actor

router = Router(tags=["orders"])


def _access(request, order_no: str, *, with_payment: bool = False):
    """The order (with its payment, read in the same statement, if asked) and the caller's role.
    Nothing here uses the order's product, nor its shop unless a logged-in caller is not its
    buyer (the merchant check): for a guest with the order's token neither is read."""
    caller = caller_of(request)
    related = ("shop",) if caller.authenticated else ()
    viewer = Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)
    order, role = order_access(order_no=order_no, viewer=viewer, related=related)
    request.kadun_sensitive = True  # no caching of anything about an order
    return caller, order, role


def _payment_read_with(order):
    """The order's payment that counts (``Order.payment``: the credited one, else the newest), or None."""
    return order.payment


def _buyer_actor(order) -> str:
    return Actor.BUYER if order.buyer_id else Actor.GUEST


@router.post(
    "",
    auth=CHECKOUT_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={201: OrderCreatedOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="下单",
    description=(
        "游客需填写 contact 和 query_password；返回的 access_token 只出现这一次，用作 X-Order-Token。"
        "商品的退款规则不适用七天无理由退货（no_reason_7days=false）时，须传 confirm_no_reason_exclusion=true 逐单确认"
        "（《网络购买商品七日无理由退货暂行办法》第二十条），否则 400 no_reason_confirmation_required，不创建订单、支付单或期限；"
        "确认的文本、时间和渠道保存在订单的 checkout_confirmations 中。"
        "下单前提示（GET /api/products/{id}/warnings）随订单保存在 checkout_warnings 中；其中超低价提醒（low_price）须传 "
        "confirm_low_price=true，否则 400 low_price_confirmation_required，不创建订单。"
    ),
)
def order_create(request, data: OrderCreateIn):
    caller = caller_of(request)
    buyer = caller.user if caller.authenticated else None
    order, token, pay_url = services.order_create(
        product_id=data.product_id,
        quantity=data.quantity,
        buyer=buyer,
        contact=data.contact,
        query_password=data.query_password,
        buyer_inputs=data.buyer_inputs,
        confirm_no_reason_exclusion=data.confirm_no_reason_exclusion,
        confirm_low_price=data.confirm_low_price,
        channel="api",
        insure=data.insure,
        client_ip=client_ip(request) or "",
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
    )
    request.kadun_sensitive = True
    # Built from what checkout has in hand: its payment, its one event, its confirmations, no keys yet.
    out = order_out(order, BUYER, payment=order.payment, keys=[], events=order.checkout_events, confirmed=order.checkout_confirmations_made)
    return Status(201, {"order": out, "access_token": token if buyer is None else None, "pay_url": absolute_url(pay_url)})


@router.get("/{order_no}", auth=ORDER_AUTH, openapi_extra=OPTIONAL_AUTH, response={200: OrderOut, **errors(401, 404)}, summary="订单详情")
def order_detail(request, order_no: str):
    _caller, order, role = _access(request, order_no, with_payment=True)
    return order_out(order, role, payment=_payment_read_with(order))


@router.post(
    "/{order_no}/keys/{int:key_id}/reveal",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: RevealOut, **errors(401, 403, 404)},
    summary="查看卡密",
    description="仅买家可查看；每次查看都记录时间、IP 和 User-Agent，首次查看时间是退款判定的关键事实。",
)
def order_key_reveal(request, response: HttpResponse, order_no: str, key_id: int):
    caller, order, role = _access(request, order_no)
    if role != BUYER:
        raise KeyNotFound()
    key, secret = key_reveal(
        order=order,
        key_id=key_id,
        actor=_buyer_actor(order),
        user=caller.user,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    response["Cache-Control"] = "no-store"
    return {"id": key.pk, "secret": secret, "first_revealed_at": key.first_revealed_at}


@router.post(
    "/{order_no}/confirm",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: OrderOut, **errors(401, 403, 404, 409)},
    summary="确认收货",
)
def order_confirm(request, order_no: str):
    caller, order, role = _access(request, order_no)
    if role != BUYER:
        raise Forbidden("not_the_buyer", "只有买家可以确认收货。")
    services.order_confirm(order_id=order.pk, actor=_buyer_actor(order), user=caller.user)
    order.refresh_from_db()
    return order_out(order, role)


@router.post(
    "/{order_no}/payment",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={201: PaymentSwitchOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="换一种支付方式",
    description=(
        "待支付订单的买家用另一种已启用的支付方式重新发起支付；原支付单保留，若其后仍支付成功，"
        "将作为重复支付自动原路退回。已支付（order_not_pending）、已过支付期限（order_payment_expired）、"
        "支付方式未启用（provider_unavailable）、与当前相同（same_provider）、超过5次（too_many_payments）时拒绝，不作任何更改。"
    ),
)
def order_payment_switch(request, order_no: str, data: PaymentSwitchIn):
    from kadun.orders.payment_switch import order_payment_switch as switch

    caller, order, role = _access(request, order_no)
    if role != BUYER:
        raise Forbidden("not_buyer", "只有买家可以更换支付方式。")
    payment, outcome = switch(order=order, role=role, provider=data.provider, user=caller.user,
                              client_ip=client_ip(request) or "", user_agent=request.META.get("HTTP_USER_AGENT", "")[:400])
    order.refresh_from_db()
    pay_url = absolute_url(payment.pay_url) if outcome == "created" and payment.pay_url else ""
    return Status(201, {"order": order_out(order, role, payment=order.payment), "pay_url": pay_url, "outcome": outcome})
