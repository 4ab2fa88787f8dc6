"""Public catalog: GET /api/products, GET /api/products/{id}, GET /api/products/{id}/warnings."""
from typing import Annotated, Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kadun.core.api_pagination import Pagination
from pydantic import BeforeValidator

from kadun.accounts.api_auth import OPTIONAL_AUTH, PUBLIC_AUTH
from kadun.catalog import selectors as catalog
from kadun.catalog.schemas import ProductOut
from kadun.catalog.states import Category
from kadun.core.api_errors import errors
from kadun.orders.schemas import CheckoutWarningOut

# ?category= (empty) means every category, as on the storefront page.
CategoryFilter = Annotated[Optional[Category], BeforeValidator(lambda v: v or None)]

router = Router(tags=["products"], auth=PUBLIC_AUTH)


class StorefrontPagination(Pagination):
    """Page first, then count the stock of that page's products only."""

    def paginate_queryset(self, queryset, pagination, **params):
        page = super().paginate_queryset(queryset, pagination, **params)
        page[self.items_attribute] = catalog.with_stock(page[self.items_attribute])
        return page


@router.get("", response={200: list[ProductOut], **errors(401, 422)}, openapi_extra=OPTIONAL_AUTH, summary="在售商品")
@paginate(StorefrontPagination, page_size=20, max_page_size=100)
def product_list(request, category: CategoryFilter = None, q: Optional[str] = Query(None, max_length=50)):
    return catalog.storefront(category=category, q=(q or "").strip() or None)


@router.get("/{int:product_id}", response={200: ProductOut, **errors(401, 404)}, openapi_extra=OPTIONAL_AUTH, summary="商品详情")
def product_detail(request, product_id: int):
    return catalog.product_public(product_id)


class CheckoutPreviewOut(Schema):
    product_id: int
    warnings: list[CheckoutWarningOut] = Field(description="下单前提示：此刻下单会显示并随订单保存的提示")
    confirm_low_price_required: bool = Field(description="下单须传 confirm_low_price=true（超低价提醒成立）")
    confirm_no_reason_exclusion_required: bool = Field(description="下单须传 confirm_no_reason_exclusion=true（不适用七天无理由退货）")


@router.get(
    "/{int:product_id}/warnings", response={200: CheckoutPreviewOut, **errors(401, 404)}, openapi_extra=OPTIONAL_AUTH, summary="下单前提示",
    description="超低价、新商家、未认证、保证金不足、规则弱于平台默认：与下单时检查、保存的相同（kadun.orders.warnings）。",
)
def product_warnings(request, product_id: int):
    from kadun.orders import confirmations
    from kadun.orders.warnings import LOW_PRICE, checkout_warnings

    product = catalog.product_public(product_id)
    rules = catalog.policy_current(product).rules
    shown = checkout_warnings(product, rules)
    return {
        "product_id": product.pk, "warnings": [w.stored() for w in shown],
        "confirm_low_price_required": any(w.code == LOW_PRICE for w in shown),
        "confirm_no_reason_exclusion_required": confirmations.no_reason_required(rules),
    }
