"""Badges (标识): 已认证, 金牌商家, 官方直营. Each has criteria read from settings and shown on the
rules page; ``badges_refresh`` recomputes a shop's badges from them, gains and loses them
automatically and writes the history (gained / lost, with the reason). It runs on the events
that move a criterion (approval, a warning, a deposit change: the other rooms call it) and
nightly for every verified shop (the ``badges_nightly`` deadline)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kadun.core import clock
from kadun.deadlines.registry import handler
from kadun.deadlines.services import deadline_schedule
from kadun.merchants.models import Shop
from kadun.merchants.models_onboarding import BadgeEvent, OfficialAuthorisation, ShopBadge
from kadun.merchants.onboarding_states import BadgeKind

log = logging.getLogger("kadun.badges")
KIND_NIGHTLY = "badges_nightly"


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    ok: bool


def gold_criteria(shop: Shop) -> list[Criterion]:
    """金牌商家: each criterion with whether the shop meets it now (numbers from settings)."""
    from kadun.merchants.selectors_deposit import deposit_position
    from kadun.merchants.selectors_penalties import warnings_active
    from kadun.orders.selectors import confirmed_count_of_shop
    from kadun.reputation.selectors import shop_credit

    g = settings.KADUN_BADGE_GOLD
    now = clock.now()
    credit = shop_credit(shop.pk).score
    orders = confirmed_count_of_shop(shop_id=shop.pk, since=now - dt.timedelta(days=g["orders_days"]))
    deposit = deposit_position(shop.pk)
    warnings = warnings_active(shop.pk, days=g["warning_free_days"])
    return [
        Criterion("verified", "主体信息已认证", shop.verified_at is not None),
        Criterion("selling", "店铺可正常销售", shop.selling_blocks == 0),
        Criterion("credit", f"信用分 ≥ {g['credit_min']}（当前 {credit}）", credit >= g["credit_min"]),
        Criterion("age", f"经营满 {g['age_days']} 天", now - shop.created_at >= dt.timedelta(days=g["age_days"])),
        Criterion("orders", f"近 {g['orders_days']} 天确认收货订单 ≥ {g['orders_min']}（当前 {orders}）", orders >= g["orders_min"]),
        Criterion("deposit", f"保证金 ≥ 应缴额的 {g['deposit_multiple']} 倍", deposit.held >= g["deposit_multiple"] * deposit.required),
        Criterion("warnings", f"近 {g['warning_free_days']} 天无警告（当前 {warnings} 次）", warnings == 0),
    ]


def _due(shop: Shop) -> dict[str, str]:
    """The badges the shop should hold now → why (for the history); and why not, for the others."""
    due: dict[str, str] = {}
    if shop.verified_at is not None:
        due[BadgeKind.VERIFIED] = "主体信息审核通过"
    failed = [c.label for c in gold_criteria(shop) if not c.ok]
    due[BadgeKind.GOLD] = "满足金牌商家全部条件" if not failed else "FAIL:" + "；".join(failed)
    brands = list(OfficialAuthorisation.objects.filter(shop=shop, revoked_at__isnull=True).values_list("brand", flat=True))
    if brands and shop.verified_at is not None:
        due[BadgeKind.OFFICIAL] = "品牌方授权：" + "、".join(brands)
    return due


def badges_refresh(*, shop_id: int, why: str = "") -> dict[str, list[str]]:
    """Recompute the shop's badges: gain those whose criteria hold, lose those whose don't, each
    with a history row. Returns {"gained": [...], "lost": [...]}. Serialised per shop (the shop
    row is locked), in the caller's transaction if there is one."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().filter(pk=shop_id).first()
        if shop is None:
            return {"gained": [], "lost": []}
        due = _due(shop)
        held = set(ShopBadge.objects.filter(shop=shop).values_list("kind", flat=True))
        now = clock.now()
        gained = [k for k, reason in due.items() if not reason.startswith("FAIL:") and k not in held]
        lost = [k for k in held if k not in due or due[k].startswith("FAIL:")]
        for kind in gained:
            ShopBadge.objects.create(shop=shop, kind=kind, since=now)
            BadgeEvent.objects.create(shop=shop, kind=kind, gained=True, reason=_reason(due[kind], why), at=now)
        for kind in lost:
            ShopBadge.objects.filter(shop=shop, kind=kind).delete()
            reason = due.get(kind, "").removeprefix("FAIL:") or _lost_reason(kind)
            BadgeEvent.objects.create(shop=shop, kind=kind, gained=False, reason=_reason("不再满足：" + reason, why), at=now)
    return {"gained": gained, "lost": lost}


def _reason(text: str, why: str) -> str:
    return (f"{text}（{why}）" if why else text)[:300]


def _lost_reason(kind: str) -> str:
    return {BadgeKind.VERIFIED: "主体信息未认证", BadgeKind.OFFICIAL: "品牌方授权已撤销或失效"}.get(kind, "条件")


# --- nightly -------------------------------------------------------------------------------


def _next_night(after: dt.datetime) -> dt.datetime:
    local = timezone.localtime(after)
    at = local.replace(hour=settings.KADUN_BADGES_NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if at <= local:
        at += dt.timedelta(days=1)
    return at


def nightly_ensure() -> None:
    """Schedule the next nightly recompute (idempotent: one deadline per night, its subject the
    night's date ordinal, so each night's firing schedules the next one without conflict)."""
    at = _next_night(clock.now())
    deadline_schedule(kind=KIND_NIGHTLY, subject_id=at.date().toordinal(), due_at=at)


@handler(KIND_NIGHTLY)
def badges_nightly(night: int) -> str:
    """Every verified shop, and any shop holding a badge, each in its own savepoint (one failing
    shop is logged and does not stop the others). Then the next night is scheduled."""
    shop_ids = set(Shop.objects.filter(verified_at__isnull=False).values_list("id", flat=True))
    shop_ids |= set(ShopBadge.objects.values_list("shop_id", flat=True))
    for shop_id in sorted(shop_ids):
        try:
            badges_refresh(shop_id=shop_id, why="每日重新计算")
        except Exception:
            log.exception("badges of shop %s not recomputed", shop_id)
    nightly_ensure()
    return "done"
