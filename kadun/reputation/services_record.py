"""店铺档案 writes: recompute the shops' record rows (``ShopRecord``) off the request path.

Called by ``services.scores_recompute`` for the same chunk of shops, so the record follows the
credit score's ScoreDirty mark + worker duty (an event: recomputed within
KADUN_CREDIT_REFRESH_DELAY_SECONDS) and its nightly run over every shop (the windows slide).
Nothing is written on the purchase path; pages read one row."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kadun.core import clock
from kadun.reputation.models import Review, ShopRecord


def records_recompute(*, shop_ids, now: dt.datetime | None = None) -> int:
    """Count every figure of these shops' records in a few grouped queries (plus the cases
    app's per-shop stats for shops that had cases) and upsert their rows. Returns how many."""
    from kadun.cases import selectors as cases
    from kadun.merchants import selectors_penalties as merchants
    from kadun.orders.selectors_record import record_order_figures

    now = now or clock.now()
    ids = sorted(set(shop_ids))
    since = now - dt.timedelta(days=settings.KADUN_RECORD_WINDOW_DAYS)
    opened = merchants.shops_opened(ids)
    orders = record_order_figures(shop_ids=ids, since=since, short_since=now - dt.timedelta(days=settings.KADUN_RECORD_SHORT_DAYS))
    reviews = review_counts(ids, since=since)
    monthly = monthly_ratings(ids, now=now)
    with_cases = cases.shops_with_cases(shop_ids=ids, since=since)
    rows = []
    for sid in ids:
        if sid not in opened:
            continue
        stats = cases.merchant_case_stats(shop_id=sid, since=since) if sid in with_cases else {}
        o, r = orders.get(sid, {}), reviews.get(sid, (0, 0))
        rows.append(ShopRecord(shop_id=sid, computed_at=now, figures={
            "opened_at": opened[sid].isoformat(), "paid": o.get("paid", 0), "refunded": o.get("refunded", 0),
            "confirmed": o.get("confirmed", 0), "confirmed_short": o.get("confirmed_short", 0),
            "disputed": stats.get("orders", 0), "escalated": stats.get("escalated", 0),
            "reviews": r[0], "bad_reviews": r[1], "answered": stats.get("answered", 0),
            "response_median_seconds": stats.get("first_response_median_seconds"),
            "response_p90_seconds": stats.get("first_response_p90_seconds"),
            "monthly": monthly.get(sid, []),
            # risk keywords in the complaints' and cases' statements (only shops that had cases can have either)
            "other_keywords": _other_keywords(sid) if sid in with_cases else {"complaints": [], "cases": []},
        }))
    ShopRecord.objects.bulk_create(rows, update_conflicts=True, unique_fields=["shop"], update_fields=["figures", "computed_at"])
    return len(rows)


def _other_keywords(shop_id: int) -> dict[str, list]:
    from kadun.reputation.selectors_reviews import other_keyword_counts

    found = other_keyword_counts(shop_id, days=settings.KADUN_RECORD_WINDOW_DAYS)
    return {where: [list(pn) for pn in counts] for where, counts in found.items()}


def review_counts(shop_ids, *, since: dt.datetime) -> dict[int, tuple[int, int]]:
    """(reviews, 差评 = rating ≤ KADUN_RECORD_BAD_STARS) per shop since ``since``; hidden ones
    count (hiding removes the text from view, not the buyer's rating)."""
    bad = Q(rating__lte=settings.KADUN_RECORD_BAD_STARS)
    rows = (Review.objects.filter(shop_id__in=list(shop_ids), created_at__gte=since).order_by().values("shop_id")
            .annotate(n=Count("id"), bad=Count("id", filter=bad)).values_list("shop_id", "n", "bad"))
    return {sid: (n, b) for sid, n, b in rows}


def monthly_ratings(shop_ids, *, now: dt.datetime) -> dict[int, list[dict]]:
    """Per shop, the last KADUN_RECORD_RATING_MONTHS calendar months (TIME_ZONE, Beijing) that had
    reviews: month, average stars, count — oldest first (the ratings chart)."""
    months = settings.KADUN_RECORD_RATING_MONTHS
    first = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = (Review.objects.filter(shop_id__in=list(shop_ids), created_at__gte=first).order_by()
            .annotate(month=TruncMonth("created_at")).values("shop_id", "month")
            .annotate(avg=Avg("rating"), n=Count("id")).order_by("shop_id", "month"))
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r["shop_id"], []).append({"month": r["month"].strftime("%Y-%m"), "avg": round(float(r["avg"]), 2), "n": r["n"]})
    return out
