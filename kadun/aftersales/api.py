"""Refunds over the API: the rules (frozen on an order, current on a product), the buyer's refund
requests and 验货, and the merchant's answers and rule editing.

Who may do what:
- An order's refund rules and refund requests are visible to whoever ``orders.selectors.order_access``
  lets see the order: its buyer (API key or session), a guest with the order's ``X-Order-Token``,
  the merchant of the order, and staff. Everyone else gets 404 — the same as for an order or a
  request that does not exist. A buyer-scoped API key sees only its user's own purchases: the
  shop's orders are read with a merchant key under ``/merchant/``.
- Only the buyer asks for a refund, withdraws a request, or runs 验货 on a key. The merchant or
  staff trying to is 403 ``not_the_buyer`` (验货: 404 ``key_not_found``, as for revealing a key).
- ``/merchant/...``: a bearer API key or a logged-in session (CSRF enforced on writes); a user
  without a shop is 403 ``not_a_merchant``; another shop's request or product is 404.

A refund request is decided at once by the refund engine against the order's frozen rules:
approved and paid in the same call, sent to the merchant with a response deadline, or not
eligible, with the reason and the clauses it used. Send ``Idempotency-Key`` so a retried POST
can never pay twice: a replay returns the first request unchanged (also 201, same
``request_no``). Without the header, a second request for keys already refunded is simply not
eligible, and one while another is open is 409 ``refund_request_open``.
"""
from __future__ import annotations

from typing import Optional

from ninja import Header, Router
from ninja.pagination import paginate

from kadun.core.api_pagination import Pagination
from ninja.responses import Status


from kadun.accounts.api_auth import MERCHANT_AUTH, OPTIONAL_AUTH, ORDER_AUTH, PUBLIC_AUTH, caller_of, order_token_of
from kadun.aftersales import selectors as refunds
from kadun.aftersales import services
from kadun.aftersales.schemas import (
    CheckerIn,
    CheckerOut,
    OrderPolicyOut,
    PolicyIn,
    PolicyOut,
    RefundRequestIn,
    RefundRequestOut,
    RespondIn,
    VerifyOut,
    checker_out,
    policy_out,
)
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.states import Reason
from kadun.catalog import policies
from kadun.catalog import selectors as catalog
from kadun.catalog import services as catalog_services
from kadun.core.api_errors import errors
from kadun.core import api_body
from kadun.core.errors import Forbidden, NotFound
from kadun.inventory.errors import KeyNotFound
from kadun.merchants.selectors import shop_of
from kadun.orders.selectors import BUYER, MERCHANT, Viewer, order_access

router = Router(tags=["refunds"])

def _not_the_buyer() -> Forbidden:
    return Forbidden("not_the_buyer", "只有买家可以申请或撤回退款。")


def _viewer(request) -> Viewer:
    caller = caller_of(request)
    return Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)


def _order(request, order_no: str):
    order, role = order_access(order_no=order_no, viewer=_viewer(request))
    request.kadun_sensitive = True  # nothing about an order is cached
    return order, role


def _refund_request(request, request_no: str):
    refund, role = refunds.request_access(request_no=request_no, viewer=_viewer(request))
    request.kadun_sensitive = True
    return refund, role


def _own_request(request, request_no: str):
    """(shop, refund request) if the request is on an order of the caller's shop; else 404."""
    shop = shop_of(caller_of(request).user)
    caller = caller_of(request)
    refund, role = refunds.request_access(request_no=request_no, viewer=Viewer(user=caller.user, roles=caller.roles))
    if role != MERCHANT or refund.order.shop_id != shop.pk:
        raise RequestNotFound()
    request.kadun_sensitive = True
    return shop, refund


# Refund rules ------------------------------------------------------------------------------


@router.get(
    "/orders/{order_no}/refund-policy",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: OrderPolicyOut, **errors(401, 404)},
    summary="订单的退款规则（下单时冻结）",
    description="下单时冻结在订单上的规则、条款和全文，以及 SHA-256；hash_verified 表示快照未被改动。商品规则之后的修改不影响已下的订单。",
)
def order_policy(request, order_no: str):
    order, _role = _order(request, order_no)
    snapshot = order.policy_snapshot
    if not snapshot:
        raise NotFound("policy_not_found", "该订单没有退款规则快照。")
    return {
        "order_no": order.order_no,
        "policy_version": snapshot["policy_version"],
        "rules": snapshot["rules"],
        "clauses": snapshot["clauses"],
        "text": snapshot["text"],
        "hash": order.policy_hash,
        "hash_verified": policies.verify_snapshot(snapshot, order.policy_hash),
    }


@router.get(
    "/products/{int:product_id}/refund-policy",
    auth=PUBLIC_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: PolicyOut, **errors(401, 404)},
    summary="商品当前的退款规则",
)
def product_policy(request, product_id: int):
    product = catalog.product_public(product_id)
    return _current_policy(product)


def _current_policy(product) -> dict:
    current = catalog.policy_text(product)
    return {
        "product_id": product.pk,
        "policy_version": current["version"],
        "rules": current["rules"],
        "clauses": [{"no": c.no, "id": c.id, "text": c.text} for c in current["clauses"]],
        "text": current["text"],
    }


# The buyer's refund requests ---------------------------------------------------------------


def _refund_body(request) -> tuple[RefundRequestIn, list]:
    """The request's fields from JSON or a multipart/urlencoded form, and its uploaded images."""
    return api_body.body_with_images(request, RefundRequestIn, list_fields=("key_ids",))


_IMAGE_FIELD = {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": services.MAX_IMAGES,
                "description": "证据截图：PNG/JPEG/GIF/WebP（按内容识别），每张不超过 5 MB，最多5张"}
_REQUEST_FIELDS = {
    "reason": {"type": "string", "enum": list(Reason.values), "description": "；".join(f"{c.value}：{c.label}" for c in Reason)},
    "statement": {"type": "string", "maxLength": 2000, "default": ""},
    "key_ids": {"type": "array", "items": {"type": "integer"}, "description": "申请退款的卡密 id；卡密订单必填"},
    "destination": {"type": "string", "enum": ["source", "wallet"], "default": "source", "description": "source 原路退回；wallet 平台余额（仅登录买家）"},
}
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["reason"], "properties": _REQUEST_FIELDS}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["reason"], "properties": {**_REQUEST_FIELDS, "images": _IMAGE_FIELD}}},
        },
    },
}


@router.post(
    "/orders/{order_no}/refund-requests",
    auth=ORDER_AUTH,
    openapi_extra={**OPTIONAL_AUTH, **_REQUEST_BODY},
    response={201: RefundRequestOut, **errors(400, 401, 403, 404, 409, 413, 422, 429)},
    summary="申请退款",
    description=(
        "仅买家（登录买家，或持 X-Order-Token 的游客）。JSON，或带证据截图时用 multipart/form-data（images 字段）。"
        "系统立即按下单时的退款规则判定：符合即时退款的当场退款（status=approved）；需商家处理的进入 awaiting_merchant，"
        "respond_by 前商家不处理则系统全额退款；不符合的为 not_eligible，并说明理由和引用的条款。\n\n"
        "Idempotency-Key（可选，最长64字符）：同一订单、同一键的重复请求返回首次创建的申请（同样 201、同一 request_no），不会重复退款。"
        "不带此头的重复提交：卡密已退款作废的判为 not_eligible；已有处理中的申请则为 409 refund_request_open。"
        "图片按内容识别类型，非图片或超过 5 MB 为 400 invalid_evidence，且不创建申请。"
        "按规则需要证据而未上传（卡密查看后申请「卡密无效」）为 400 evidence_required，不创建申请。"
        "只有转给商家处理的申请会保存图片；每个订单的申请次数（409 refund_request_limit）和图片总量（413 evidence_quota）有上限，"
        "每个订单、每个买家每小时的申请次数也有上限（429 rate_limited）。"
    ),
)
def request_create(request, order_no: str, idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key", max_length=64)):
    order, role = _order(request, order_no)
    if role != BUYER:
        raise _not_the_buyer()
    data, images = _refund_body(request)
    refund = services.refund_request_create(
        order=order,
        reason=data.reason,
        statement=data.statement,
        key_ids=data.key_ids,
        images=images,
        destination=data.destination,
        client_key=(idempotency_key or "").strip(),
    )
    return Status(201, refund)


@router.get(
    "/orders/{order_no}/refund-requests",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: list[RefundRequestOut], **errors(401, 404)},
    summary="订单的退款申请",
)
def request_list(request, order_no: str):
    order, _role = _order(request, order_no)
    return refunds.requests_of_order(order)


@router.get(
    "/refund-requests/{request_no}",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: RefundRequestOut, **errors(401, 404)},
    summary="退款申请详情",
)
def request_detail(request, request_no: str):
    refund, _role = _refund_request(request, request_no)
    return refund


@router.post(
    "/refund-requests/{request_no}/withdraw",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: RefundRequestOut, **errors(401, 403, 404, 409)},
    summary="撤回退款申请",
    description="仅买家，且仅限处理中的申请（等待商家处理或等待补发）。",
)
def request_withdraw(request, request_no: str):
    refund, role = _refund_request(request, request_no)
    if role != BUYER:
        raise _not_the_buyer()
    return services.refund_request_withdraw(request=refund)


@router.post(
    "/orders/{order_no}/keys/{int:key_id}/verify",
    auth=ORDER_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    response={200: VerifyOut, **errors(401, 404, 409, 429)},
    summary="验货",
    description=(
        "仅买家。用商品配置的验货方式检查一个卡密，结果作为退款证据保存在订单上。"
        "每个订单每小时验货次数有上限（页面与 API 共用），超过为 429 rate_limited，Retry-After 给出秒数。"
        "首次查看前验出「已被使用」的卡密，申请「卡密无效」时即时全额退款。从不返回卡密本身或验货接口的原始应答。"
    ),
)
def key_verify(request, order_no: str, key_id: int):
    order, role = _order(request, order_no)
    if role != BUYER:
        raise KeyNotFound()
    report = services.key_verify_for_buyer(order=order, key_id=key_id)
    return {
        "key_id": report.key_id,
        "result": report.result,
        "checker": report.checker,
        "checked_at": report.checked_at,
        "before_first_reveal": report.before_first_reveal,
    }


# The merchant ------------------------------------------------------------------------------


@router.get(
    "/merchant/refund-requests",
    auth=MERCHANT_AUTH,
    response={200: list[RefundRequestOut], **errors(401, 403, 422)},
    summary="商家：退款申请",
    description="open=true（默认）只列处理中的申请，按回应期限排序。",
)
@paginate(Pagination, page_size=50, max_page_size=100)
def merchant_request_list(request, open: bool = True):  # noqa: A002 (the query parameter's name)
    shop = shop_of(caller_of(request).user)
    request.kadun_sensitive = True
    return refunds.merchant_queue(shop=shop, open_only=open).prefetch_related("events", "evidence")


@router.get(
    "/merchant/refund-requests/{request_no}",
    auth=MERCHANT_AUTH,
    response={200: RefundRequestOut, **errors(401, 403, 404)},
    summary="商家：退款申请详情",
)
def merchant_request_detail(request, request_no: str):
    _shop, refund = _own_request(request, request_no)
    return refund


@router.post(
    "/merchant/refund-requests/{request_no}/respond",
    auth=MERCHANT_AUTH,
    response={200: RefundRequestOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="商家：处理退款申请",
    description=(
        "approve 全额退款；partial 部分退款（amount 分，需大于0且小于申请金额）；replace 立即从库存补发；"
        "promise 承诺在 hours 小时内补发（逾期系统全额退款并记违约）；reject 拒绝（note 至少5个字）。"
        "只能处理等待商家处理的申请，否则 409。"
        "只能选下单时冻结的退款规则允许的处理方式（申请的 allowed_actions，如规则为「退款」时不能补发或承诺补发），"
        "否则 400 action_not_allowed（message 引用条款：「依据退款规则第N条…」），申请不变。"
    ),
)
def merchant_respond(request, request_no: str, data: RespondIn):
    shop, refund = _own_request(request, request_no)
    refund = services.refund_request_respond(
        request=refund, shop=shop, action=data.action, amount=data.amount, hours=data.hours, note=data.note
    )
    return refund


@router.post(
    "/merchant/refund-requests/{request_no}/fulfil",
    auth=MERCHANT_AUTH,
    response={200: RefundRequestOut, **errors(401, 403, 404, 409)},
    summary="商家：兑现补发承诺",
    description="从库存为承诺补发的申请发放新卡密，原卡密作废。库存不足为 409 out_of_stock。",
)
def merchant_fulfil(request, request_no: str):
    shop, refund = _own_request(request, request_no)
    return services.refund_request_fulfil(request=refund, shop=shop)


@router.get(
    "/merchant/products/{int:product_id}/refund-policy",
    auth=MERCHANT_AUTH,
    response={200: PolicyOut, **errors(401, 403, 404)},
    summary="商家：商品的退款规则",
)
def merchant_policy(request, product_id: int):
    product = catalog.product_of_shop(shop=shop_of(caller_of(request).user), product_id=product_id)
    return _current_policy(product)


@router.put(
    "/merchant/products/{int:product_id}/refund-policy",
    auth=MERCHANT_AUTH,
    response={200: PolicyOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="商家：修改退款规则",
    description=(
        "整套规则（未填的项取平台默认值），生成新版本；已下的订单仍按下单时的版本。"
        "弱于平台底线的规则（如关闭未查看即时退款、退款期限少于24小时）为 400 invalid_refund_policy，不生成新版本。"
    ),
)
def merchant_policy_update(request, product_id: int, data: PolicyIn):
    shop = shop_of(caller_of(request).user)
    rules = data.dict(exclude_unset=True)
    policy = catalog_services.policy_update(shop=shop, product_id=product_id, rules=rules)
    product = catalog.product_of_shop(shop=shop, product_id=product_id)
    return policy_out(product.pk, policy.version, policy.rules, delivery=product.delivery)


@router.get(
    "/merchant/products/{int:product_id}/checker",
    auth=MERCHANT_AUTH,
    response={200: CheckerOut, **errors(401, 403, 404)},
    summary="商家：验货方式",
)
def merchant_checker(request, product_id: int):
    product = catalog.product_of_shop(shop=shop_of(caller_of(request).user), product_id=product_id)
    return checker_out(product)


@router.put(
    "/merchant/products/{int:product_id}/checker",
    auth=MERCHANT_AUTH,
    response={200: CheckerOut, **errors(400, 401, 403, 404, 422)},
    summary="商家：设置验货方式",
    description="none 不验货；format 正则格式校验；http 由接口验货（签名密钥至少16个字符，只写入，从不返回）。手动服务类商品为 400。",
)
def merchant_checker_update(request, product_id: int, data: CheckerIn):
    shop = shop_of(caller_of(request).user)
    catalog_services.checker_set(shop=shop, product_id=product_id, config=data.dict())
    return checker_out(catalog.product_of_shop(shop=shop, product_id=product_id))
