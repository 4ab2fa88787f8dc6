"""保证金: what a shop must hold and what it holds (电子商务法 §58).

required = max(category minimum, 10 % of the trailing 30 days' sales, the largest order of those
30 days) × the credit band's multiplier (high 1.0 / mid 1.5 / low 2.0). Every number comes from
settings (``KADUN_DEPOSIT_*``); the public rules page and the merchant's dashboard show the same
terms (``deposit_terms``), so what is shown is what is applied."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from kadun.core import clock


@dataclass(frozen=True)
class DepositPosition:
    required: int  # 分
    held: int  # 分
    short_since: dt.datetime | None  # when the shop fell below the requirement (None: not short)


@dataclass(frozen=True)
class DepositTerms:
    """The formula's numbers for one shop."""

    kind: str  # card_keys / services / game_accounts
    minimum: int
    sales: int  # trailing window's sales
    sales_term: int  # share of them
    largest: int  # largest order of the window
    band: str
    permille: int
    required: int
    winner: str  # minimum / sales / largest

    @property
    def multiplier(self) -> str:
        return f"{self.permille / 1000:g}"


KIND_ORDER = ("card_keys", "services", "game_accounts")


def shop_kind(shop_id: int) -> str:
    """The most demanding kind among the shop's active products (card keys when it has none)."""
    from kadun.catalog import selectors as catalog

    kinds = {"card_keys"}
    for category, delivery in catalog.products_of_shop_kinds(shop_id=shop_id):
        if category in settings.KADUN_DEPOSIT_GAME_ACCOUNT_CATEGORIES:
            kinds.add("game_accounts")
        elif delivery == "manual":
            kinds.add("services")
    minimum = settings.KADUN_DEPOSIT_MINIMUM
    return max(kinds, key=lambda k: (minimum[k], KIND_ORDER.index(k)))


def deposit_terms(shop_id: int) -> DepositTerms:
    from kadun.orders.selectors import shop_sales
    from kadun.reputation.selectors import shop_credit

    kind = shop_kind(shop_id)
    minimum = settings.KADUN_DEPOSIT_MINIMUM[kind]
    sales = shop_sales(shop_id=shop_id, since=clock.now() - dt.timedelta(days=settings.KADUN_DEPOSIT_WINDOW_DAYS))
    sales_term = sales["total"] * settings.KADUN_DEPOSIT_SALES_BPS // 10_000
    base = {"minimum": minimum, "sales": sales_term, "largest": sales["largest"]}
    winner = max(base, key=lambda k: (base[k], -list(base).index(k)))
    band = shop_credit(shop_id).band
    permille = settings.KADUN_DEPOSIT_BAND_PERMILLE[band]
    required = (base[winner] * permille + 999) // 1000  # rounded up to the 分
    return DepositTerms(kind=kind, minimum=minimum, sales=sales["total"], sales_term=sales_term, largest=sales["largest"],
                        band=band, permille=permille, required=required, winner=winner)


def deposit_held(shop_id: int) -> int:
    from kadun.ledger import accounts as codes
    from kadun.ledger.selectors import balance_of

    return balance_of(codes.merchant_deposit(shop_id))


def deposit_position(shop_id: int) -> DepositPosition:
    """Required (the formula, now), held (the ledger), and since when the shop is short (as the
    last refresh recorded it; None while it holds enough)."""
    from kadun.merchants.models_funds import DepositState

    required, held = deposit_terms(shop_id).required, deposit_held(shop_id)
    short_since = None
    if held < required:
        short_since = DepositState.objects.filter(shop_id=shop_id).values_list("short_since", flat=True).first()
    return DepositPosition(required=required, held=held, short_since=short_since)


def grace_ends_at(position: DepositPosition) -> dt.datetime | None:
    if position.short_since is None:
        return None
    return position.short_since + dt.timedelta(hours=settings.KADUN_DEPOSIT_GRACE_HOURS)


def deposit_notice(shop_id: int) -> dict | None:
    """What a product page says about a shop below its deposit requirement (None: nothing)."""
    position = deposit_position(shop_id)
    if position.held >= position.required:
        return None
    ends = grace_ends_at(position)
    return {"required": position.required, "held": position.held, "grace_ends_at": ends,
            "refusing": ends is not None and clock.now() >= ends and settings.KADUN_DEPOSIT_ENFORCE_SELLING}


def deposits_overview(*, short_only: bool = False, limit: int = 200) -> list[dict]:
    """Staff: shops with their deposit position, shortest first."""
    from kadun.merchants.models import Shop

    rows = []
    for shop in Shop.objects.filter(is_active=True).order_by("id")[:limit]:
        position = deposit_position(shop.pk)
        if short_only and position.held >= position.required:
            continue
        rows.append({"shop": shop, "position": position, "gap": position.required - position.held})
    return sorted(rows, key=lambda r: -r["gap"])
