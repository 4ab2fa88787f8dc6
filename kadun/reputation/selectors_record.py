"""店铺档案 reads: a shop's public record from its precomputed ``ShopRecord`` row (one query)
plus the live, per-shop facts other rooms own (credit, deposit, badges, warnings, complaints) —
none of them aggregates orders or reviews at page time."""
from __future__ import annotations

import datetime as dt

from django.conf import settings

from kadun.core import clock
from kadun.reputation import record as defs
from kadun.reputation import selectors
from kadun.reputation.models import ShopRecord


def _row(shop_id: int) -> tuple[dict, dt.datetime | None]:
    row = ShopRecord.objects.filter(shop_id=shop_id).values_list("figures", "computed_at").first()
    return row if row else ({}, None)


def headline(shop_id: int, *, row: tuple | None = None) -> dict:
    """The figures every product page and checkout shows: 成交量, 差评率, 退款率, 经营时长 and
    the credit score (two queries: the record row and the score row)."""
    f, computed_at = row or _row(shop_id)
    if f.get("opened_at"):
        opened = dt.datetime.fromisoformat(f["opened_at"])
    else:  # not yet counted (a shop opened since the last run)
        from kadun.merchants.selectors_penalties import shops_opened

        opened = shops_opened([shop_id]).get(shop_id)
    n = defs.numbers()
    return {
        "shop_id": shop_id, "computed_at": computed_at, "credit": selectors.shop_credit(shop_id),
        "days_open": max(0, (clock.now() - opened).days) if opened else 0, "opened_at": opened,
        "confirmed_short": f.get("confirmed_short", 0), "confirmed": f.get("confirmed", 0),
        "paid": f.get("paid", 0), "refunded": f.get("refunded", 0),
        "reviews": f.get("reviews", 0), "bad_reviews": f.get("bad_reviews", 0),
        "bad_rate": defs.rate(f.get("bad_reviews", 0), f.get("reviews", 0)),
        "refund_rate": defs.rate(f.get("refunded", 0), f.get("paid", 0)),
        "window_days": n["days"], "short_days": n["short"],
    }


def shop_record(shop_id: int, *, with_others: bool = True) -> dict:
    """The full record: the headline, 纠纷率, 介入率, first-response median / p90, the monthly
    ratings, the score history; and (``with_others``) deposit, badges, credit breakdown,
    warnings on record and public complaints — the shop page already shows those through its
    own includes, so it asks without them; the API asks with them."""
    row = _row(shop_id)
    rec, f = headline(shop_id, row=row), row[0]
    rec.update({
        "disputed": f.get("disputed", 0), "escalated": f.get("escalated", 0), "answered": f.get("answered", 0),
        "dispute_rate": defs.rate(f.get("disputed", 0), rec["paid"]),
        "intervention_rate": defs.rate(f.get("escalated", 0), rec["paid"]),
        "response_median_seconds": f.get("response_median_seconds"), "response_p90_seconds": f.get("response_p90_seconds"),
        "monthly": f.get("monthly", []),
        "history": selectors.history_of(shop_id, limit=settings.KADUN_RECORD_HISTORY_POINTS),
        "keyword_counts": _keyword_counts(shop_id),
        "other_keywords": f.get("other_keywords") or {"complaints": [], "cases": []},
    })
    if with_others:
        rec.update(_others(shop_id))
    return rec


def _others(shop_id: int) -> dict:
    from kadun.evidence.selectors_complaints import complaints_for_shop
    from kadun.merchants.badges_selectors import badges_of
    from kadun.merchants.selectors_deposit import deposit_position
    from kadun.merchants.selectors_penalties import warnings_on_record

    row = selectors.score_row(shop_id)
    position = deposit_position(shop_id)
    return {
        "deposit": {"held": position.held, "required": position.required, "short_since": position.short_since},
        "badges": badges_of(shop_id), "breakdown": selectors.breakdown_rows(row.components if row else {}),
        "warnings": list(warnings_on_record(shop_id, days=settings.KADUN_CREDIT_WARNING_DAYS)[:20]),
        "complaints": complaints_for_shop(shop_id, 20),
    }


def _keyword_counts(shop_id: int) -> dict[str, int]:
    """近90天评价中「…」出现 N 次, as the reviews list on the same page shows them
    (``selectors_reviews.keyword_counts``): phrase → number of reviews mentioning it."""
    from kadun.reputation.selectors_reviews import keyword_counts

    return dict(keyword_counts(shop_id, days=settings.KADUN_RECORD_WINDOW_DAYS))


def rows_of(rec: dict) -> list[dict]:
    """The page's table: each figure's label, value and definition (record.definitions)."""
    lab, d = defs.labels(), defs.definitions()
    values = {
        "age": _days_text(rec["days_open"]),
        "confirmed": f"{rec['confirmed_short']} / {rec['confirmed']}",
        "bad_rate": f"{defs.percent_text(rec['bad_rate'])} ({rec['bad_reviews']}/{rec['reviews']})",
        "refund_rate": f"{defs.percent_text(rec['refund_rate'])} ({rec['refunded']}/{rec['paid']})",
        "dispute_rate": f"{defs.percent_text(rec.get('dispute_rate'))} ({rec.get('disputed', 0)}/{rec['paid']})",
        "intervention_rate": f"{defs.percent_text(rec.get('intervention_rate'))} ({rec.get('escalated', 0)}/{rec['paid']})",
        "response": f"{defs.duration_text(rec.get('response_median_seconds'))} / {defs.duration_text(rec.get('response_p90_seconds'))}",
    }
    return [{"key": k, "label": lab[k], "value": values[k], "definition": d[k]} for k in defs.FIGURES if k in values]


def _days_text(days: int) -> str:
    from django.utils.translation import gettext as _

    return _("%(n)s 天") % {"n": days}


def ratings_chart(monthly: list[dict], *, width: int = 600, height: int = 160, pad: int = 20) -> dict | None:
    """The ratings chart as SVG coordinates (server-rendered, like the score chart): one bar per
    month, its height the average stars of 5, its label the count."""
    if not monthly:
        return None
    step = (width - 2 * pad) / len(monthly)
    bar = max(4, step * 0.6)
    scale = (height - 2 * pad) / 5
    bars = [{"x": round(pad + i * step + (step - bar) / 2, 1), "y": round(height - pad - m["avg"] * scale, 1), "w": round(bar, 1),
             "h": round(m["avg"] * scale, 1), "tx": round(pad + i * step + step / 2, 1),
             "ty": round(height - pad - m["avg"] * scale - 3, 1), **m} for i, m in enumerate(monthly)]
    return {"width": width, "height": height, "bars": bars, "base": height - pad, "label_y": height - 4}
