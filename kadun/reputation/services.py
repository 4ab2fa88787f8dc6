"""信用分 writes: mark a shop for recompute on an event (cheap, in the event's transaction), the
recompute itself (one shop, a chunk, every shop), the nightly run, and score contests.

Incremental: ``score_refresh(shop_id=…)`` upserts one ScoreDirty row for the shop (one cheap
statement in the event's transaction); the worker's duty ``dirty_recompute`` recomputes marked
shops once the mark is KADUN_CREDIT_REFRESH_DELAY_SECONDS old, so a burst of events costs one
recompute. The nightly ``credit_nightly`` deadline marks every shop (chunked) and arms the next
night."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.reputation import score as formula
from kadun.reputation.errors import ContestNotOpen, NotCreditStaff, ReasonRequired, UnknownComponent
from kadun.reputation.models import ScoreContest, ScoreDirty, ScoreHistory, ShopScore

KIND_NIGHTLY = "credit_nightly"


def score_refresh(*, shop_id: int) -> None:
    """An event changed what the shop's score reads: recompute it soon (once for a burst)."""
    scores_refresh(shop_ids=[shop_id])


def scores_refresh(*, shop_ids) -> None:
    """``score_refresh`` for many shops (the sweeper's batch confirmations): one upsert
    (INSERT … ON CONFLICT (shop) DO UPDATE SET touched_at), in the event's transaction."""
    now = clock.now()
    rows = [ScoreDirty(shop_id=sid, marked_at=now, touched_at=now) for sid in sorted(set(shop_ids))]
    if rows:
        ScoreDirty.objects.bulk_create(rows, update_conflicts=True, unique_fields=["shop"], update_fields=["touched_at"])


def dirty_recompute(*, limit: int | None = None, now: dt.datetime | None = None) -> int:
    """The worker's duty: recompute up to ``limit`` shops marked at least the delay ago, oldest
    first, in one transaction; the marks are locked (other workers skip them on PostgreSQL) and
    deleted unless an event touched them meanwhile (then the next round recomputes again).
    Returns how many shops."""
    now = now or clock.now()
    cut = now - dt.timedelta(seconds=settings.KADUN_CREDIT_REFRESH_DELAY_SECONDS)
    with transaction.atomic():
        started = clock.now()
        ids = list(ScoreDirty.objects.filter(marked_at__lte=cut).select_for_update(skip_locked=True)
                   .order_by("marked_at").values_list("shop_id", flat=True)[: limit or settings.KADUN_CREDIT_CHUNK])
        if not ids:
            return 0
        scores_recompute(shop_ids=ids, reason="event")
        ScoreDirty.objects.filter(shop_id__in=ids, touched_at__lte=started).delete()
        ScoreDirty.objects.filter(shop_id__in=ids).update(marked_at=started)
    return len(ids)


def dirty_mark_all(*, chunk: int | None = None) -> int:
    """The nightly run: every shop marked, in chunks; the duty recomputes them chunk by chunk."""
    from kadun.merchants import selectors_penalties as merchants

    n = 0
    for ids in merchants.shop_ids_chunks(chunk or settings.KADUN_CREDIT_CHUNK):
        scores_refresh(shop_ids=ids)
        n += len(ids)
    return n


def score_refresh_order(*, order_id: int) -> None:
    from kadun.orders import selectors as orders

    shop_id = orders.shop_id_of_order(order_id)
    if shop_id is not None:
        score_refresh(shop_id=shop_id)


def figures_of(shop_ids: list[int], *, now: dt.datetime) -> dict[int, formula.Figures]:
    """The formula's figures for a chunk of shops: orders, breaches, warnings, shop age in a few
    grouped queries; case figures from ``cases.selectors.merchant_case_stats`` for the shops
    that had cases in the window."""
    from kadun.cases import selectors as cases
    from kadun.merchants import selectors_penalties as merchants
    from kadun.orders import selectors as orders

    since = now - dt.timedelta(days=settings.KADUN_CREDIT_WINDOW_DAYS)
    opened = merchants.shops_opened(shop_ids)
    order_figs = orders.credit_order_figures(shop_ids=shop_ids, since=since)
    breaches = merchants.breaches_by_shop(shop_ids, since=since)
    overdue = merchants.services_overdue_by_shop(shop_ids, since=since)
    warnings = merchants.warnings_by_shop(shop_ids, days=settings.KADUN_CREDIT_WARNING_DAYS)
    with_cases = cases.shops_with_cases(shop_ids=shop_ids, since=since)
    out = {}
    for sid in shop_ids:
        if sid not in opened:
            continue
        o = order_figs[sid]
        stats = cases.merchant_case_stats(shop_id=sid, since=since) if sid in with_cases else {}
        out[sid] = formula.Figures(
            days_open=max(0, (now - opened[sid]).days), orders=o["orders"], confirmed=o["confirmed"],
            services_due=o["delivered"] + overdue.get(sid, 0), services_on_time=o["on_time"],
            seller_fault=stats.get("merchant_fault", 0), escalated=stats.get("escalated", 0),
            response_p90_seconds=stats.get("first_response_p90_seconds"),
            ratings=tuple(review_ratings(sid, since=since)), warnings=warnings.get(sid, 0), breaches=breaches.get(sid, 0),
        )
    return out


def review_ratings(shop_id: int, *, since: dt.datetime) -> list[int]:
    """Buyers' star ratings of the shop in the window (评价): hidden reviews included, unless
    hidden as 与交易无关 — hiding protects people, it does not launder a score."""
    from kadun.reputation import selectors_reviews

    return selectors_reviews.ratings_of_shop(shop_id, since=since)


def scores_recompute(*, shop_ids: list[int], reason: str = "event") -> dict[int, int]:
    """Recompute these shops' scores; write ShopScore, and a ScoreHistory row where the score
    (or the provisional mark) changed. Returns the scores."""
    now = clock.now()
    figures = figures_of(shop_ids, now=now)
    current = {row[0]: row[1:] for row in ShopScore.objects.filter(shop_id__in=list(figures)).values_list("shop_id", "score", "provisional")}
    new_rows, changed_rows, history, scores = [], [], [], {}
    for sid, fig in figures.items():
        value, provisional, breakdown = formula.score_of(fig)
        scores[sid] = value
        row = ShopScore(shop_id=sid, score=value, provisional=provisional, components=breakdown, computed_at=now)
        (changed_rows if sid in current else new_rows).append(row)
        if current.get(sid) != (value, provisional):
            history.append(ScoreHistory(shop_id=sid, score=value, provisional=provisional, components=breakdown, reason=reason, at=now))
    with transaction.atomic():
        ShopScore.objects.bulk_create(new_rows, update_conflicts=True, unique_fields=["shop"],
                                      update_fields=["score", "provisional", "components", "computed_at"])
        ShopScore.objects.bulk_create(changed_rows, update_conflicts=True, unique_fields=["shop"],
                                      update_fields=["score", "provisional", "components", "computed_at"])
        ScoreHistory.objects.bulk_create(history)
        _followers_refresh([h.shop_id for h in history])
    _records_recompute(list(figures), now)
    return scores


def _records_recompute(shop_ids: list[int], now: dt.datetime) -> None:
    """店铺档案 follows the score: the same shops, the same duty and nightly run."""
    from kadun.reputation.services_record import records_recompute

    records_recompute(shop_ids=shop_ids, now=now)


def _followers_refresh(shop_ids: list[int]) -> None:
    """What reads the score follows it when it changes: the deposit requirement (its credit-band
    multiplier, and with it short_since) and the badges (金牌商家 needs the score)."""
    from kadun.merchants.badges import badges_refresh
    from kadun.merchants.deposit import deposit_refresh

    for shop_id in shop_ids:
        deposit_refresh(shop_id=shop_id)
        badges_refresh(shop_id=shop_id, why="credit")


def score_recompute(*, shop_id: int, reason: str = "event") -> int:
    return scores_recompute(shop_ids=[shop_id], reason=reason).get(shop_id, settings.KADUN_CREDIT_NEW_SHOP_SCORE)


def scores_recompute_all(*, chunk: int | None = None, reason: str = "nightly") -> int:
    """Every shop, in chunks (one transaction each). Returns how many shops."""
    from kadun.merchants import selectors_penalties as merchants

    n = 0
    for ids in merchants.shop_ids_chunks(chunk or settings.KADUN_CREDIT_CHUNK):
        n += len(scores_recompute(shop_ids=ids, reason=reason))
    return n


def next_nightly(now: dt.datetime) -> dt.datetime:
    at = now.replace(hour=settings.KADUN_CREDIT_NIGHTLY_HOUR_UTC, minute=0, second=0, microsecond=0)
    return at if at > now else at + dt.timedelta(days=1)


def nightly_schedule(now: dt.datetime | None = None) -> None:
    """Make sure the next nightly recompute is pending: one deadline per night, its subject the
    night's date ordinal (called after every refresh; a no-op once it exists)."""
    from kadun.deadlines.services import deadline_schedule

    at = next_nightly(now or clock.now())
    deadline_schedule(kind=KIND_NIGHTLY, subject_id=at.date().toordinal(), due_at=at)


# --- contests (申诉某一项) ---------------------------------------------------------------------


def contest_file(*, shop, component: str, reason: str) -> ScoreContest:
    if component not in formula.COMPONENTS:
        raise UnknownComponent()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    from kadun.reputation.selectors import shop_credit

    return ScoreContest.objects.create(shop=shop, component=component, reason=reason[:5000], score=shop_credit(shop.pk).score,
                                       created_at=clock.now())


def contest_answer(*, contest_id: int, staff, accept: bool, answer: str) -> None:
    """Risk staff answer a contest. An accepted one is acted on by correcting the record it is
    about (e.g. a case's fault), which the next recompute reads; the score is refreshed now."""
    from kadun.merchants.penalties import can_decide

    if not can_decide(staff):
        raise NotCreditStaff()
    answer = (answer or "").strip()
    if not answer:
        raise ReasonRequired()
    with transaction.atomic():
        if not ScoreContest.objects.filter(pk=contest_id, status="open").update(
                status="accepted" if accept else "rejected", answer=answer[:5000], answered_by=staff, answered_at=clock.now()):
            raise ContestNotOpen()
        score_refresh(shop_id=ScoreContest.objects.values_list("shop_id", flat=True).get(pk=contest_id))
