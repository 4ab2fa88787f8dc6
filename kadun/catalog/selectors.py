"""Reads for the catalog. Stock is counted from available keys (index on product, status)."""
from __future__ import annotations

from django.db.models import OuterRef, Q
from django.db.models.functions import Coalesce

from kadun.catalog.errors import ProductNotFound
from kadun.catalog import policies
from kadun.catalog.models import Product, RefundPolicy
from kadun.inventory import selectors as inventory
from kadun.reputation import selectors as credit


def _with_stock(qs):
    return qs.annotate(stock=Coalesce(inventory.stock_subquery(product=OuterRef("pk")), 0))


def storefront(*, category: str | None = None, q: str | None = None, shop_id: int | None = None):
    """Products on sale, by the shop's credit band (信用分: high, mid, low) then newest, without their stock: page them first, then
    ``with_stock(page)``. (Counting stock in the paged query would make PostgreSQL count it for
    every row an OFFSET skips too.) Only shops that may sell are listed: no bit of
    ``Shop.selling_blocks`` set (资质审核, deposit, ban, freeze — ``merchants.gate``), in this
    same query."""
    qs = Product.objects.filter(is_active=True, shop__is_active=True, shop__selling_blocks=0).select_related("shop")
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(shop__name__icontains=q))
    return credit.with_band(qs).order_by("-credit_band", "-id")


def with_stock(products) -> list:
    """Set ``stock`` (available keys) on each product, in one query."""
    products = list(products)
    counts = inventory.stock_counts([p.pk for p in products])
    for p in products:
        p.stock = counts.get(p.pk, 0)
    return products


def product_for_checkout(product_id: int) -> Product | None:
    """The product, with its shop, if both are on sale (no stock count: checkout asks inventory)."""
    return Product.objects.select_related("shop").filter(pk=product_id, is_active=True, shop__is_active=True).first()


def product_by_id(product_id: int) -> Product | None:
    """Any product, on sale or not (the operator's key import)."""
    return Product.objects.filter(pk=product_id).first()


def product_public(product_id: int) -> Product:
    product = _with_stock(Product.objects.filter(pk=product_id, is_active=True, shop__is_active=True).select_related("shop")).first()
    if product is None:
        raise ProductNotFound()
    return product


def products_of_shop(*, shop):
    return _with_stock(Product.objects.filter(shop=shop)).order_by("-id")


def product_of_shop(*, shop, product_id: int) -> Product:
    product = _with_stock(Product.objects.filter(shop=shop, pk=product_id)).first()
    if product is None:
        raise ProductNotFound()
    return product


def stock_of(product_id: int) -> int:
    return inventory.stock_count(product_id)


def policy_current(product) -> RefundPolicy:
    return RefundPolicy.objects.filter(product=product).order_by("-version").first()


def policy_text(product) -> dict:
    """The current rules of a product, their numbered clauses and rendered text (product page,
    checkout)."""
    policy = policy_current(product)
    return {
        "version": policy.version,
        "rules": policy.rules,
        "clauses": policies.clauses(policy.rules, delivery=product.delivery),
        "text": policies.render_text(policy.rules, delivery=product.delivery),
    }


def policies_of(product):
    return RefundPolicy.objects.filter(product=product).order_by("-version")


def products_of_shop_kinds(*, shop_id: int) -> list[tuple[str, str]]:
    """(category, delivery) pairs of the shop's active products (the deposit's category term)."""
    return list(Product.objects.filter(shop_id=shop_id, is_active=True).values_list("category", "delivery").distinct())
