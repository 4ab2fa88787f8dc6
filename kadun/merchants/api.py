"""The merchant API: own products, key import, own orders, balances, API keys.

Callers authenticate with a bearer API key or a logged-in session (CSRF enforced on writes);
a user without a shop gets 403 ``not_a_merchant``. Everything is scoped to the caller's own
shop: another shop's product or order is 404, the same as one that does not exist.
"""
from typing import Optional

from ninja import Router
from ninja.pagination import paginate

from kadun.core.api_pagination import Pagination
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, caller_of, require_session
from kadun.accounts.selectors import api_keys_of
from kadun.accounts.services import api_key_create, api_key_revoke
from kadun.catalog import selectors as catalog
from kadun.catalog import services as catalog_services
from kadun.catalog.schemas import MerchantProductOut, ProductIn, ProductPatch
from kadun.core.api_errors import errors
from kadun.inventory.services import keys_import
from kadun.ledger.selectors import shop_balances
from kadun.merchants.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    BalancesOut,
    DeliverIn,
    KeysImportIn,
    KeysImportOut,
)
from kadun.merchants.selectors import shop_of
from kadun.orders import selectors as orders
from kadun.orders import services as order_services
from kadun.orders.errors import OrderNotFound
from kadun.orders.schemas import OrderOut, OrderSummaryOut, order_out
from kadun.orders.selectors import MERCHANT, Viewer
from kadun.orders.states import OrderStatus

router = Router(tags=["merchant"], auth=MERCHANT_AUTH)


def _shop(request):
    return shop_of(caller_of(request).user)


def _own_order(request, order_no: str):
    """The order, if it was sold by the caller's shop; otherwise OrderNotFound."""
    shop = _shop(request)
    caller = caller_of(request)
    order, role = orders.order_access(order_no=order_no, viewer=Viewer(user=caller.user, roles=caller.roles))
    if role != MERCHANT or order.shop_id != shop.pk:
        raise OrderNotFound()
    request.kadun_sensitive = True
    return shop, order


# Products ----------------------------------------------------------------------------------


@router.get("/products", response={200: list[MerchantProductOut], **errors(401, 403, 422)}, summary="我的商品")
@paginate(Pagination, page_size=50, max_page_size=100)
def product_list(request):
    return catalog.products_of_shop(shop=_shop(request))


@router.post("/products", response={201: MerchantProductOut, **errors(400, 401, 403, 422)}, summary="新建商品")
def product_create(request, data: ProductIn):
    shop = _shop(request)
    product = catalog_services.product_create(shop=shop, data=data.dict())
    return Status(201, catalog.product_of_shop(shop=shop, product_id=product.pk))


@router.get("/products/{int:product_id}", response={200: MerchantProductOut, **errors(401, 403, 404)}, summary="商品详情")
def product_detail(request, product_id: int):
    return catalog.product_of_shop(shop=_shop(request), product_id=product_id)


@router.patch("/products/{int:product_id}", response={200: MerchantProductOut, **errors(400, 401, 403, 404, 422)}, summary="修改商品")
def product_update(request, product_id: int, data: ProductPatch):
    shop = _shop(request)
    catalog_services.product_update(shop=shop, product_id=product_id, data=data.dict(exclude_unset=True))
    return catalog.product_of_shop(shop=shop, product_id=product_id)


@router.post(
    "/products/{int:product_id}/keys",
    response={200: KeysImportOut, **errors(400, 401, 403, 404, 413, 422, 429)},
    summary="导入卡密",
    description=(
        "文件内重复、本店已有和无效的卡密不导入，按行号（从1起）列在报告里。"
        "与其他店铺重复的卡密不导入，提交平台风控审核，报告中不单列：imported 为已受理数（新入库加提交审核的）。"
        "每个店铺每小时导入次数有上限（429 rate_limited）；与其他店铺重复时（默认第一次即触发），本店导入暂停等待风控审核（403 imports_paused）。"
        "已提交审核的卡密再次导入时，与本店已有的卡密一样列为重复。"
    ),
)
def product_keys_import(request, product_id: int, data: KeysImportIn):
    product = catalog.product_of_shop(shop=_shop(request), product_id=product_id)
    report = keys_import(product=product, lines=[(i + 1, s) for i, s in enumerate(data.keys)], source="api")
    return report.as_dict()


# Orders ------------------------------------------------------------------------------------


@router.get("/orders", response={200: list[OrderSummaryOut], **errors(401, 403, 422)}, summary="我的订单")
@paginate(Pagination, page_size=50, max_page_size=100)
def order_list(request, status: Optional[OrderStatus] = None):
    return orders.orders_of_shop(shop=_shop(request), status=status)


@router.get("/orders/{order_no}", response={200: OrderOut, **errors(401, 403, 404)}, summary="订单详情")
def order_detail(request, order_no: str):
    _shop_, order = _own_order(request, order_no)
    return order_out(order, MERCHANT)


@router.post("/orders/{order_no}/accept", response={200: OrderOut, **errors(401, 403, 404, 409)}, summary="接单（手动服务）")
def order_accept(request, order_no: str):
    shop, order = _own_order(request, order_no)
    order_services.order_accept(order=order, shop=shop)
    order.refresh_from_db()
    return order_out(order, MERCHANT)


@router.post("/orders/{order_no}/deliver", response={200: OrderOut, **errors(400, 401, 403, 404, 409, 422)}, summary="发货（手动服务）")
def order_deliver(request, order_no: str, data: DeliverIn):
    shop, order = _own_order(request, order_no)
    order_services.order_deliver(order=order, shop=shop, note=data.note)
    order.refresh_from_db()
    return order_out(order, MERCHANT)


# Money -------------------------------------------------------------------------------------


@router.get("/balances", response={200: BalancesOut, **errors(401, 403)}, summary="余额（分）")
def balances(request):
    shop = _shop(request)
    return shop_balances(shop_id=shop.pk, escrow_total=orders.escrow_total_of_shop(shop=shop))


# API keys ----------------------------------------------------------------------------------


@router.get("/api-keys", response={200: list[ApiKeyOut], **errors(401, 403)}, summary="API 密钥")
def api_key_list(request):
    _shop(request)
    return list(api_keys_of(user=caller_of(request).user))


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **errors(401, 403, 422)},
    summary="创建 API 密钥",
    description="只能在网页登录状态下创建（一个泄露的密钥不能再给自己生成新密钥）。完整密钥只返回这一次。",
)
def api_key_new(request, data: ApiKeyIn):
    _shop(request)
    caller = require_session(request)
    key, secret = api_key_create(user=caller.user, name=data.name, scopes=data.scopes)
    request.kadun_sensitive = True
    return Status(201, {"key": key, "secret": secret})


@router.delete("/api-keys/{int:key_id}", response={204: None, **errors(401, 403, 404)}, summary="撤销 API 密钥")
def api_key_delete(request, key_id: int):
    _shop(request)
    api_key_revoke(user=caller_of(request).user, key_id=key_id)
    return Status(204, None)
