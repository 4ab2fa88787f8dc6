"""What a low score restricts (read from settings, shown on the rules page): no new products below
KADUN_CREDIT_NO_NEW_PRODUCTS_BELOW, and a maximum amount per order by band
(KADUN_CREDIT_MAX_ORDER_AMOUNT). Called by catalog's product creation and orders' checkout."""
from __future__ import annotations

from django.conf import settings

from kadun.core.errors import DomainError
from kadun.core.money import fen_to_yuan
from kadun.reputation.errors import NewProductsRestricted, OrderAmountLimited
from kadun.reputation.selectors import shop_credit


def max_order_amount(shop_id: int) -> int | None:
    return settings.KADUN_CREDIT_MAX_ORDER_AMOUNT.get(shop_credit(shop_id).band)


def order_refusal(*, shop_id: int, amount: int) -> DomainError | None:
    """The per-order check at checkout: an order above the shop's band limit is refused. An
    amount within every band's limit needs no read (checkout's statement budget)."""
    limits = [v for v in settings.KADUN_CREDIT_MAX_ORDER_AMOUNT.values() if v is not None]
    if amount <= min(limits, default=amount):
        return None
    limit = max_order_amount(shop_id)
    if limit is not None and amount > limit:
        return OrderAmountLimited(message=f"该店铺信用分较低，单笔订单金额不能超过 {fen_to_yuan(limit)} 元。", limit=limit)
    return None


def product_refusal(*, shop_id: int) -> DomainError | None:
    if shop_credit(shop_id).score < settings.KADUN_CREDIT_NO_NEW_PRODUCTS_BELOW:
        return NewProductsRestricted()
    return None


def order_check(*, shop_id: int, amount: int) -> None:
    refusal = order_refusal(shop_id=shop_id, amount=amount)
    if refusal is not None:
        raise refusal


def product_check(*, shop_id: int) -> None:
    refusal = product_refusal(shop_id=shop_id)
    if refusal is not None:
        raise refusal
