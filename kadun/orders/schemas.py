"""API shapes for orders, and the one function that turns an order into what a viewer may see.

Who sees what (``viewer_role`` from ``orders.selectors.order_access``):
- buyer (or guest with the order's token): everything below, including the payment to follow;
- merchant of the order: no payment; buyer_inputs (it needs them to perform a service);
- staff: neither payment nor buyer_inputs.
Keys are always masked here; the plaintext only comes from the reveal endpoint, to the buyer.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Field, Schema
from pydantic import StrictBool

from kadun.catalog.states import Delivery
from kadun.orders import confirmations
from kadun.orders.selectors import BUYER, MERCHANT, checkout_confirmations_of, events_of
from kadun.orders.states import Actor, OrderStatus


class OrderCreateIn(Schema):
    product_id: int = Field(ge=1)
    quantity: int = Field(1, ge=1, le=1000)
    contact: str = Field("", max_length=120, description="游客必填：邮箱、QQ 或手机号")
    query_password: str = Field("", max_length=128, description="游客必填：查询密码，至少6位")
    buyer_inputs: Optional[dict[str, str]] = Field(None, description="手动服务商家要求的下单信息，如 {\"account\": \"...\"}")
    # Strict: only JSON true confirms; "yes", 1 or "true" is a 422, never a confirmation.
    confirm_no_reason_exclusion: StrictBool = Field(False, description=confirmations.api_description())
    insure: StrictBool = Field(False, description="购买售后保险：保费（见 GET /orders/{order_no}/cover 的 terms）与货款一并支付，pay_url 的金额含保费")
    confirm_low_price: StrictBool = Field(
        False,
        description=(
            "超低价提醒（GET /api/products/{id}/warnings 返回 code=low_price、tick=true）成立时必填且须为 true；"
            "未确认则 400 low_price_confirmation_required，不创建订单。确认的文本随订单保存（checkout_confirmations，kind=low_price）。"
        ),
    )


class KeyOut(Schema):
    id: int
    index: int
    masked: str
    first_revealed_at: Optional[dt.datetime]


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor: Actor
    note: str
    at: dt.datetime


class CheckoutWarningOut(Schema):
    code: str = Field(description="low_price 超低价 / new_shop 新商家 / unverified_shop 未认证 / deposit_short 保证金不足 / weaker_rules 规则弱于平台默认")
    text: str = Field(description="买家看到的提示原文（含金额等数字）")
    figures: dict = Field(description="提示所依据的数字（金额为分）")
    tick: bool = Field(description="是否须勾选确认后才能下单（仅 low_price）")


class CheckoutConfirmationOut(Schema):
    kind: str = Field(description="no_reason_exclusion：买家确认本商品不适用七天无理由退货；low_price：买家确认已知悉超低价风险")
    text: str = Field(description="买家确认的文本（下单时所见原文）")
    text_sha256: str = Field(description="text 的 SHA-256")
    channel: str = Field(description="web / api")
    at: dt.datetime


class PaymentOut(Schema):
    provider: str
    out_trade_no: str
    status: str
    pay_url: str = Field(description="完整地址（含站点域名）")


class OrderOut(Schema):
    order_no: str
    status: OrderStatus
    title: str
    quantity: int
    unit_price: int = Field(description="分")
    amount: int = Field(description="分")
    refunded_amount: int = Field(description="分")
    delivery: Delivery
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: Optional[dt.datetime]
    delivered_at: Optional[dt.datetime]
    confirmed_at: Optional[dt.datetime]
    keys: list[KeyOut]
    delivery_note: str
    buyer_inputs: Optional[dict[str, str]] = Field(description="仅买家和商家可见")
    events: list[EventOut]
    checkout_confirmations: list[CheckoutConfirmationOut] = Field(description="买家下单时的逐单确认（时间、所见文本、渠道）")
    checkout_warnings: list[CheckoutWarningOut] = Field(description="下单时显示给买家的提示（下单前提示），随订单保存")
    payment: Optional[PaymentOut] = Field(description="仅买家可见")
    viewer_role: str = Field(description="buyer / merchant / staff")


class OrderCreatedOut(Schema):
    order: OrderOut
    access_token: Optional[str] = Field(description="游客订单的访问令牌（X-Order-Token），只返回这一次；登录买家为 null")
    pay_url: str = Field(description="支付页面的完整地址；支付后回到订单页，游客凭订单号和查询密码查看")


class PaymentSwitchIn(Schema):
    provider: str = Field(max_length=20, description="换一种支付方式：已启用的支付方式名（如 alipay、wechatpay、epusdt；wallet 仅限登录买家，立即扣款）")


class PaymentSwitchOut(Schema):
    order: OrderOut
    pay_url: str = Field(description="新支付单的支付地址（余额支付为空：已扣款）")
    outcome: str = Field(description="created：请到 pay_url 支付；余额支付时为支付结果（delivered、paid 等）")


class OrderSummaryOut(Schema):
    order_no: str
    status: OrderStatus
    title: str
    quantity: int
    amount: int = Field(description="分")
    refunded_amount: int = Field(description="分")
    delivery: Delivery
    created_at: dt.datetime
    paid_at: Optional[dt.datetime]
    delivered_at: Optional[dt.datetime]
    confirmed_at: Optional[dt.datetime]


class RevealOut(Schema):
    id: int
    secret: str
    first_revealed_at: dt.datetime


_READ = object()


def absolute_url(url: str) -> str:
    """An API client has no page to resolve a path against: site-relative URLs get SITE_URL."""
    from django.conf import settings

    return settings.SITE_URL + url if url.startswith("/") else url


def _payment_out(payment) -> dict:
    return {"provider": payment.provider, "out_trade_no": payment.out_trade_no, "status": payment.status, "pay_url": absolute_url(payment.pay_url)}


def order_out(order, role: str, *, payment=_READ, keys=_READ, events=_READ, confirmed=_READ) -> dict:
    """What ``role`` may see of ``order`` (already authorised by ``order_access``).

    ``payment`` (or None), ``keys``, ``events`` and ``confirmed`` (its checkout confirmations):
    when the caller has them in hand and fresh (checkout, or an order read with its payment),
    instead of reading them here."""
    from kadun.inventory.selectors import keys_of_order
    from kadun.payments.selectors import payment_of

    if role != BUYER:
        payment = None
    elif payment is _READ:
        payment = payment_of(order)
    if payment is not None:
        payment = _payment_out(payment)
    if keys is _READ:
        keys = keys_of_order(order) if order.is_auto else []
    if events is _READ:
        events = list(events_of(order))
    if confirmed is _READ:
        confirmed = list(checkout_confirmations_of(order))
    return {
        "order_no": order.order_no,
        "status": order.status,
        "title": order.title,
        "quantity": order.quantity,
        "unit_price": order.unit_price,
        "amount": order.amount,
        "refunded_amount": order.refunded_amount,
        "delivery": order.delivery,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
        "delivered_at": order.delivered_at,
        "confirmed_at": order.confirmed_at,
        "keys": keys,
        "delivery_note": order.delivery_note,
        "buyer_inputs": order.buyer_inputs if role in (BUYER, MERCHANT) else None,
        "events": events,
        "checkout_confirmations": confirmed,
        "checkout_warnings": order.checkout_warnings or [],
        "payment": payment,
        "viewer_role": role,
    }
