from __future__ import annotations

from typing import TYPE_CHECKING

from kadun.merchants.errors import NotAMerchant
from kadun.merchants.models import Shop

if TYPE_CHECKING:
    from kadun.accounts.models import User


def shop_of(user: User) -> Shop:
    """The shop the user owns, or NotAMerchant."""
    shop = Shop.objects.filter(owner_id=getattr(user, "pk", None)).first() if user and user.is_authenticated else None
    if shop is None:
        raise NotAMerchant()
    return shop


def api_scopes_for(user: User) -> list[str]:
    """The API key scopes ``user`` may give a key: the buyer's to everyone, the merchant's only to
    a shop's owner (a key acts only in the roles its scopes name; the website and the account
    API offer and accept these and no others)."""
    from kadun.accounts.states import BUYER_SCOPES, MERCHANT_SCOPES

    owns_shop = bool(user and user.is_authenticated and Shop.objects.filter(owner_id=user.pk).exists())
    return [*BUYER_SCOPES, *(MERCHANT_SCOPES if owns_shop else ())]


def shop_ids_named(text: str):
    """Ids of the shops whose name contains ``text`` (a subquery: staff search orders by shop)."""
    return Shop.objects.filter(name__icontains=text).values("id")


def waiting_order_counts(*, shop: Shop) -> dict[str, int]:
    """How many of the shop's orders wait for the merchant: paid (接单) and in service (发货)."""
    from django.db.models import Count

    from kadun.orders.selectors import orders_of_shop
    from kadun.orders.states import OrderStatus

    waiting = [OrderStatus.PAID, OrderStatus.IN_SERVICE]
    counts = dict.fromkeys(waiting, 0)
    rows = orders_of_shop(shop=shop).filter(status__in=waiting).order_by().values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in rows})
    return {"paid": counts[OrderStatus.PAID], "in_service": counts[OrderStatus.IN_SERVICE]}


def import_batches_of_product(*, shop: Shop, product_id: int):
    """The shop's import batches for one of its products, newest first."""
    from kadun.inventory.selectors import import_batches_of

    return import_batches_of(shop=shop).filter(product_id=product_id)


def breaches_of(*, shop):
    from kadun.merchants.models import Breach

    return Breach.objects.filter(shop=shop)


def order_has_breach(order_id: int) -> bool:
    """A broken promise of the merchant on record for this order (a refund request left
    unanswered, a replacement or a service not delivered in time)."""
    from kadun.merchants.models import Breach

    return Breach.objects.filter(order_id=order_id).exists()
def shop_by_id(shop_id: int) -> Shop | None:
    return Shop.objects.filter(pk=shop_id).first()


def checkout_facts(shop_id: int) -> dict:
    """What the checkout warnings read of a shop, in one query: whether it holds the 已认证 badge,
    and since when the last deposit refresh found it short (``DepositState.short_since``; kept on
    every event that moves either side, at checkout and nightly; None: not short)."""
    from django.db.models import Exists, OuterRef, Subquery

    from kadun.merchants.models_funds import DepositState
    from kadun.merchants.models_onboarding import ShopBadge
    from kadun.merchants.onboarding_states import BadgeKind

    state = DepositState.objects.filter(shop_id=OuterRef("pk"))
    row = (
        Shop.objects.filter(pk=shop_id)
        .annotate(
            verified_badge=Exists(ShopBadge.objects.filter(shop_id=OuterRef("pk"), kind=BadgeKind.VERIFIED)),
            short_since=Subquery(state.values("short_since")[:1]),
        )
        .values("verified_at", "verified_badge", "short_since")
        .first()
    )
    return row or {"verified_at": None, "verified_badge": False, "short_since": None}
