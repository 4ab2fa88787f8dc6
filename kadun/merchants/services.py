from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from kadun.core import clock
from kadun.core.errors import InvalidInput
from kadun.ledger import services as ledger
from kadun.merchants.errors import ShopExists, ShopNameTaken
from kadun.merchants.models import Shop

if TYPE_CHECKING:
    from kadun.accounts.models import User


def shop_create(*, owner: User, name: str, description: str = "") -> Shop:
    name = (name or "").strip()
    if not 2 <= len(name) <= 60:
        raise InvalidInput("invalid_shop_name", "店铺名称需为2到60个字符。")
    if Shop.objects.filter(owner=owner).exists():
        raise ShopExists()
    try:
        with transaction.atomic():
            shop = Shop.objects.create(owner=owner, name=name, description=description.strip(), created_at=clock.now())
            ledger.accounts_open_for_shop(shop_id=shop.pk)
    except IntegrityError as exc:
        raise ShopNameTaken() from exc
    return shop


def breach_record(*, shop_id: int, kind: str, order_id: int | None = None, note: str = "") -> None:
    """Written in the caller's transaction, with the refund the breach caused."""
    from kadun.merchants.models import Breach

    Breach.objects.create(shop_id=shop_id, kind=kind, order_id=order_id, note=note[:200], at=clock.now())
    from kadun.risk.runaway import runaway_poke

    runaway_poke(shop_id=shop_id)  # 跑路 signals: evaluate the shop (the sweeper, now)
    penalties_thresholds(shop_id=shop_id, breach_kind=kind)  # 处罚: past a threshold → a proposal for risk staff


def penalties_thresholds(*, shop_id: int, breach_kind: str) -> None:
    """After a breach: the score is recomputed soon and the penalty thresholds are checked."""
    from kadun.merchants import penalties
    from kadun.reputation import services as credit

    credit.score_refresh(shop_id=shop_id)
    penalties.thresholds_check(shop_id=shop_id, breach_kind=breach_kind)


def shop_sell_block(*, shop_id: int, block: int, on: bool) -> None:
    """Set (``on``) or clear one ``onboarding_states.SellBlock`` bit of the shop, in the caller's
    transaction. The storefront lists a shop's products only while no bit is set. Each rule
    touches only its own bit, so rules never undo one another."""
    from django.db.models import F

    bit = int(block)
    change = F("selling_blocks").bitor(bit) if on else F("selling_blocks").bitand(0x7FFFFFFF ^ bit)
    Shop.objects.filter(pk=shop_id).update(selling_blocks=change)


from kadun.merchants.payout_accounts import payout_accounts_rotate  # noqa: E402,F401  (kadun rotate-keys)
