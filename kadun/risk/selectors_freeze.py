"""跑路 protection reads: is a shop frozen (the gate, checkout, auto-confirm ask), the freeze and
the disposal for pages, the buyers' notice on the shop page."""
from __future__ import annotations

from django.db.models import QuerySet

from kadun.risk.models_freeze import RunawayDisposal, RunawayRefund, RunawayWatch, ShopFreeze
from kadun.risk.states import FreezeStatus, JobStatus

FROZEN = (FreezeStatus.ACTIVE, FreezeStatus.DISPOSING)


def shop_frozen(shop_id: int) -> bool:
    """Risk froze the shop (listings paused, withdrawals blocked, escrow held past auto-confirm)."""
    return ShopFreeze.objects.filter(shop_id=shop_id, status__in=FROZEN).exists()


def frozen_shop_ids() -> QuerySet:
    """The ids of the frozen shops, as a subquery: a guard in the WHERE of an update
    (``orders.release.orders_confirm``: no escrow released for a frozen shop's orders)."""
    return ShopFreeze.objects.filter(status__in=FROZEN).values("shop_id")


def freeze_of(shop_id: int) -> ShopFreeze | None:
    """The shop's current freeze (active or disposing), or None."""
    return ShopFreeze.objects.filter(shop_id=shop_id, status__in=FROZEN).select_related("shop", "frozen_by").first()


def freeze_get(freeze_id: int) -> ShopFreeze | None:
    return ShopFreeze.objects.select_related("shop", "frozen_by", "lifted_by", "alert").filter(pk=freeze_id).first()


def freezes(*, current: bool = True):
    qs = ShopFreeze.objects.select_related("shop", "frozen_by", "lifted_by").order_by("-id")
    return qs.filter(status__in=FROZEN) if current else qs


def watch_of(shop_id: int) -> RunawayWatch | None:
    return RunawayWatch.objects.filter(shop_id=shop_id).first()


def watched(limit: int = 50):
    """Shops with a risk score above zero, highest first (the staff console)."""
    return RunawayWatch.objects.filter(score__gt=0).select_related("shop").order_by("-score", "-evaluated_at")[:limit]


def disposal_of(shop_id: int) -> RunawayDisposal | None:
    return RunawayDisposal.objects.filter(shop_id=shop_id).select_related("shop", "declared_by").order_by("-id").first()


def disposal_progress(disposal: RunawayDisposal) -> dict:
    """How many of the disposal's orders are refunded, skipped, still pending, and the amount."""
    from django.db.models import Count, Sum

    rows = RunawayRefund.objects.filter(disposal=disposal).values("status").annotate(n=Count("id"), s=Sum("amount"))
    by = {row["status"]: row for row in rows}
    done = by.get(JobStatus.REFUNDED, {}).get("n", 0)
    skipped = by.get(JobStatus.SKIPPED, {}).get("n", 0)
    pending = by.get(JobStatus.PENDING, {}).get("n", 0)
    total = done + skipped + pending
    return {
        "total": total, "refunded": done, "skipped": skipped, "pending": pending,
        "amount": by.get(JobStatus.REFUNDED, {}).get("s", 0) or 0,
        "percent": 100 if not total else (done + skipped) * 100 // total,
    }


def disposal_jobs(disposal: RunawayDisposal):
    return RunawayRefund.objects.filter(disposal=disposal).order_by("order_id")


def shop_notice(shop_id: int) -> dict | None:
    """What buyers see on the shop page and on its orders: frozen (with the public reason) or
    under runaway disposal (the notice staff wrote, and that open orders are refunded in full)."""
    freeze = ShopFreeze.objects.filter(shop_id=shop_id).exclude(status=FreezeStatus.LIFTED).first()
    if freeze is None:
        return None
    disposal = RunawayDisposal.objects.filter(freeze=freeze).first()
    return {
        "frozen": True, "since": freeze.frozen_at, "disposal": disposal is not None,
        "notice": disposal.notice if disposal else "", "declared_at": disposal.declared_at if disposal else None,
        "finished": bool(disposal and disposal.finished_at),
    }


def job_of_order(order_id: int) -> RunawayRefund | None:
    return RunawayRefund.objects.filter(order_id=order_id).select_related("disposal").first()
