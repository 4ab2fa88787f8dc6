"""Reads of badges: a page of shops' badges in one query, a shop's history and authorisations."""
from __future__ import annotations

from collections import defaultdict

from kadun.merchants.models_onboarding import BadgeEvent, OfficialAuthorisation, ShopBadge
from kadun.merchants.onboarding_states import BadgeKind

ORDER = {BadgeKind.OFFICIAL: 0, BadgeKind.GOLD: 1, BadgeKind.VERIFIED: 2}


def _shown(kinds) -> list[dict]:
    return [{"kind": k, "label": str(BadgeKind(k).label)} for k in sorted(kinds, key=lambda k: ORDER.get(k, 9))]


def badges_of_shops(shop_ids) -> dict[int, list[dict]]:
    """Shop id → its badges ({kind, label}, most distinctive first), for any number of shops in one query."""
    kinds: dict[int, list[str]] = defaultdict(list)
    for shop_id, kind in ShopBadge.objects.filter(shop_id__in=set(shop_ids)).values_list("shop_id", "kind"):
        kinds[shop_id].append(kind)
    return {shop_id: _shown(k) for shop_id, k in kinds.items()}


def badges_of(shop_id: int) -> list[dict]:
    return badges_of_shops([shop_id]).get(shop_id, [])


def attach(objects, *, shop_attr: str = "shop_id") -> list:
    """Set ``shop_badges`` on each object (products of a page, say) from its shop, in one query."""
    objects = list(objects)
    found = badges_of_shops(getattr(o, shop_attr) for o in objects)
    for o in objects:
        o.shop_badges = found.get(getattr(o, shop_attr), [])
    return objects


def history_of(shop_id: int, limit: int = 50) -> list[BadgeEvent]:
    return list(BadgeEvent.objects.filter(shop_id=shop_id)[:limit])


def authorisations_of(shop_id: int) -> list[OfficialAuthorisation]:
    return list(OfficialAuthorisation.objects.filter(shop_id=shop_id).select_related("granted_by", "revoked_by"))


def authorisation_get(authorisation_id: int) -> OfficialAuthorisation | None:
    return OfficialAuthorisation.objects.filter(pk=authorisation_id).first()
