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
