"""Public catalog: GET /api/products, GET /api/products/{id}."""
from typing import Annotated, Optional

from ninja import Query, Router
from ninja.pagination import paginate

from kadun.core.api_pagination import Pagination
from pydantic import BeforeValidator

from kadun.accounts.api_auth import OPTIONAL_AUTH, PUBLIC_AUTH
from kadun.catalog import selectors as catalog
from kadun.catalog.schemas import ProductOut
from kadun.catalog.states import Category
from kadun.core.api_errors import errors

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
