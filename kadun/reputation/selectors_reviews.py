"""评价 reads: a shop's reviews (newest first — the only order there is; no merchant sorts, pins or
filters them), the buyer's review of an order, the merchant's list, risk keyword counts, and the
ratings the credit score reads."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings

from kadun.core import clock
from kadun.reputation import keywords
from kadun.reputation.models_reviews import Review, ReviewAudit

FILTERS = ("all", "bad", "keyword")  # 全部 / 差评 (1–2 stars) / 含风险关键词
BAD_MAX_STARS = 2


def _since(days: int) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days)


def keyword_counts(shop_id: int, days: int = 90) -> list[tuple[str, int]]:
    """How many of the shop's reviews of the last ``days`` days name each risk phrase (text or
    follow-up, matched when written: ``Review.keywords``), as [(phrase, count)], count desc, then
    in the published order. Hidden reviews count too, except those hidden as 与交易无关.
    One indexed query (shop, created_at) over the rows that have keywords."""
    rows = (Review.objects.filter(shop_id=shop_id, created_at__gte=_since(days)).exclude(keywords=[])
            .exclude(hidden_reason__in=("unrelated",)).values_list("keywords", flat=True))
    counts = Counter(phrase for found in rows for phrase in set(found or ()))
    order = list(keywords.KEYWORDS)
    return sorted(((p, n) for p, n in counts.items() if p in keywords.KEYWORDS), key=lambda pn: (-pn[1], order.index(pn[0])))


def texts_keyword_counts(texts) -> list[tuple[str, int]]:
    """The same count over other texts (complaint statements, case statements): in how many."""
    counts = Counter(p for t in texts for p in keywords.matches(t))
    order = list(keywords.KEYWORDS)
    return sorted(counts.items(), key=lambda pn: (-pn[1], order.index(pn[0])))


def other_keyword_counts(shop_id: int, days: int = 90) -> dict[str, list[tuple[str, int]]]:
    """Risk phrases in the shop's public complaints and after-sales case statements of the window,
    read through those apps' selectors (a handful of rows per shop; scanned when asked)."""
    from kadun.cases import selectors as cases
    from kadun.evidence import selectors_complaints as complaints

    since = _since(days)
    return {
        "complaints": texts_keyword_counts(complaints.statements_of_shop(shop_id, since=since)),
        "cases": texts_keyword_counts(cases.statements_of_shop(shop_id=shop_id, since=since)),
    }


def shop_reviews(shop_id: int, *, filter: str = "all"):  # noqa: A002
    qs = Review.objects.filter(shop_id=shop_id).order_by("-created_at", "-id")
    if filter == "bad":
        qs = qs.filter(rating__lte=BAD_MAX_STARS)
    elif filter == "keyword":
        qs = qs.exclude(keywords=[])
    return qs.select_related("product")


def shop_reviews_page(shop_id: int, *, filter: str = "all", page: int = 1, size: int | None = None):  # noqa: A002
    """One page of the shop's reviews, newest first: (rows, has_more)."""
    size = size or settings.KADUN_REVIEW_PAGE_SIZE
    page = max(1, int(page or 1))
    start = (page - 1) * size
    rows = list(shop_reviews(shop_id, filter=filter if filter in FILTERS else "all")[start:start + size + 1])
    return rows[:size], len(rows) > size


def review_of_order(order_id: int) -> Review | None:
    return Review.objects.filter(order_id=order_id).first()


def review_by_id(review_id: int) -> Review | None:
    return Review.objects.filter(pk=review_id).select_related("shop").first()


def reviews_of_merchant(shop_id: int, *, unanswered: bool = False):
    qs = Review.objects.filter(shop_id=shop_id).order_by("-created_at", "-id")
    return qs.filter(reply_at__isnull=True) if unanswered else qs


def staff_reviews(*, hidden: bool | None = None, shop_id: int | None = None, q: str = ""):
    qs = Review.objects.select_related("shop").order_by("-id")
    if hidden is True:
        qs = qs.exclude(hidden_reason="")
    elif hidden is False:
        qs = qs.filter(hidden_reason="")
    if shop_id:
        qs = qs.filter(shop_id=shop_id)
    if q:
        qs = qs.filter(text__icontains=q[:50])
    return qs


def audits_of(review_id: int) -> list[ReviewAudit]:
    return list(ReviewAudit.objects.filter(review_id=review_id).select_related("staff").order_by("id"))


def ratings_of_shop(shop_id: int, *, since: dt.datetime) -> list[int]:
    """The stars the credit score reads: the shop's reviews in the window, hidden ones included
    unless hidden as 与交易无关 (``services_reviews.NOT_COUNTED_REASONS``)."""
    return list(Review.objects.filter(shop_id=shop_id, created_at__gte=since).exclude(hidden_reason__in=("unrelated",))
                .values_list("rating", flat=True))
