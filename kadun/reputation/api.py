"""信用分 API: a shop's public credit (the same breakdown as /s/<id>/credit/), the merchant's own,
and contesting a component."""
from __future__ import annotations

from django.conf import settings
from ninja import Router
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, PUBLIC_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.merchants import selectors_penalties as penalties
from kadun.merchants.penalty_rules import violation_name
from kadun.merchants.selectors import shop_of
from kadun.reputation import selectors, services
from kadun.reputation.errors import ShopNotFound
from kadun.reputation.schemas import ContestIn, ContestOut, CreditOut, RecordOut

router = Router(tags=["credit"])


def _credit(shop_id: int) -> dict:
    credit, row = selectors.shop_credit(shop_id), selectors.score_row(shop_id)
    comps = row.components if row else {}
    return {
        "shop_id": shop_id, "score": credit.score, "band": credit.band, "provisional": credit.provisional,
        "computed_at": row.computed_at if row else None,
        "components": [{**r, "label": str(r["label"]), "how": str(r["how"])} for r in selectors.breakdown_rows(comps)],
        "deductions": comps.get("deductions", {}),
        "history": [{"score": h["score"], "provisional": h["provisional"], "at": h["at"].isoformat()} for h in selectors.history_of(shop_id)],
        "warnings": [{"kind": p.kind, "name": violation_name(p.kind), "level": p.level, "decided_at": p.decided_at}
                     for p in penalties.warnings_on_record(shop_id, days=settings.KADUN_CREDIT_WARNING_DAYS)],
    }


@router.get("/shops/{int:shop_id}/credit", auth=PUBLIC_AUTH, response={200: CreditOut, **errors(404)}, summary="店铺信用分（公开）")
def shop_credit(request, shop_id: int):
    if penalties.shop_public(shop_id) is None:
        raise ShopNotFound()
    return _credit(shop_id)


@router.get("/merchant/credit", auth=MERCHANT_AUTH, response={200: CreditOut, **errors(401, 403)}, summary="我的信用分")
def my_credit(request):
    return _credit(shop_of(caller_of(request).user).pk)


@router.post("/merchant/credit/contests", auth=MERCHANT_AUTH, response={201: ContestOut, **errors(400, 401, 403, 422)}, summary="对信用分某一项提出异议")
def contest_create(request, data: ContestIn):
    contest = services.contest_file(shop=shop_of(caller_of(request).user), component=data.component, reason=data.reason)
    return Status(201, contest)


@router.get("/shops/{int:shop_id}/record", auth=PUBLIC_AUTH, response={200: RecordOut, **errors(404)}, summary="店铺档案（公开）")
def shop_record(request, shop_id: int):
    """经营时长, 成交量, 差评率, 退款率, 纠纷率, 介入率, first response, deposit, badges, credit,
    warnings, complaints — each rate with the counts behind it; ``figures`` the page's text."""
    from kadun.reputation import record, selectors_record

    if penalties.shop_public(shop_id) is None:
        raise ShopNotFound()
    rec = selectors_record.shop_record(shop_id)
    keep = ("shop_id", "computed_at", "opened_at", "days_open", "window_days", "short_days", "confirmed_short", "confirmed", "paid",
            "refunded", "refund_rate", "reviews", "bad_reviews", "bad_rate", "disputed", "dispute_rate", "escalated",
            "intervention_rate", "answered", "response_median_seconds", "response_p90_seconds", "keyword_counts", "deposit", "badges")
    return {
        **{k: rec[k] for k in keep}, "freshness": record.definitions()["freshness"], "monthly_ratings": rec["monthly"],
        "credit": _credit(shop_id), "figures": [{**r, "label": str(r["label"])} for r in selectors_record.rows_of(rec)],
        "complaints": [{"complaint_no": c.complaint_no, "published_at": c.published_at, "outcome": c.outcome,
                        "statement": c.statement_shown} for c in rec["complaints"]],
    }
