"""跑路 protection for risk staff over the API (the website's session only: an API key never
carries a staff role, so a bearer key is 403 ``session_required``; CSRF is enforced on writes).
Risk staff and admins only; other staff 403 ``not_risk_staff``.

GET /staff/runaway/shops/{id} — score, signals with their facts, freeze, disposal progress;
POST …/freeze, …/unfreeze, …/declare; GET …/report — per order and totals per source account."""
from __future__ import annotations

from typing import Any, Optional

from ninja import Router, Schema

from kadun.accounts.api_auth import STAFF_SESSION_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.core.errors import NotFound
from kadun.merchants import selectors_runaway as merchant_reads
from kadun.risk import runaway, runaway_disposal
from kadun.risk import selectors_freeze as freezes
from kadun.risk.errors import NotRiskStaff
from kadun.risk.services import can_resolve

router = Router(tags=["risk: runaway"])


STAFF_AUTH = STAFF_SESSION_AUTH


class FreezeOut(Schema):
    status: str
    reason: str
    frozen_at: str
    automatic: bool


class ShopRunawayOut(Schema):
    shop_id: int
    score: int
    signals: list[dict[str, Any]]
    freeze: Optional[FreezeOut] = None
    disposal: Optional[dict[str, Any]] = None


class ReasonIn(Schema):
    reason: str


class NoteIn(Schema):
    note: str


class DeclareIn(Schema):
    reason: str
    notice: str = ""
    confirm_name: str


class ReportOut(Schema):
    rows: list[dict[str, Any]]
    totals: dict[str, int]
    refunded: int


def _risk_user(request, shop_id: int):
    user = caller_of(request).user
    if not can_resolve(user):
        raise NotRiskStaff()
    if merchant_reads.shop_brief(shop_id) is None:
        raise NotFound("shop_not_found", "店铺不存在。")
    request.kadun_sensitive = True
    return user


def _out(shop_id: int) -> dict:
    watch = freezes.watch_of(shop_id)
    freeze = freezes.freeze_of(shop_id)
    disposal = freezes.disposal_of(shop_id)
    return {
        "shop_id": shop_id, "score": watch.score if watch else 0, "signals": (watch.signals or {}).get("signals", []) if watch else [],
        "freeze": {"status": freeze.status, "reason": freeze.reason, "frozen_at": freeze.frozen_at.isoformat(), "automatic": freeze.frozen_by_id is None}
        if freeze else None,
        "disposal": ({"status": disposal.status, "declared_at": disposal.declared_at.isoformat(), **freezes.disposal_progress(disposal)}
                     if disposal else None),
    }


@router.get("/staff/runaway/shops/{shop_id}", auth=STAFF_AUTH, response={200: ShopRunawayOut, **errors(401, 403, 404)},
            summary="风控：店铺跑路风险", description="风险分、各信号的数值/阈值/权重及依据、冻结状态、跑路处置进度。")
def shop_detail(request, shop_id: int):
    _risk_user(request, shop_id)
    return _out(shop_id)


@router.post("/staff/runaway/shops/{shop_id}/freeze", auth=STAFF_AUTH, response={200: ShopRunawayOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：冻结店铺")
def shop_freeze(request, shop_id: int, data: ReasonIn):
    runaway.shop_freeze(shop_id=shop_id, reason=data.reason, actor=_risk_user(request, shop_id))
    return _out(shop_id)


@router.post("/staff/runaway/shops/{shop_id}/unfreeze", auth=STAFF_AUTH, response={200: ShopRunawayOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：解冻店铺", description="需填写原因；已宣告跑路处置的店铺不能解冻（409）。")
def shop_unfreeze(request, shop_id: int, data: NoteIn):
    runaway.shop_unfreeze(shop_id=shop_id, actor=_risk_user(request, shop_id), note=data.note)
    return _out(shop_id)


@router.post("/staff/runaway/shops/{shop_id}/declare", auth=STAFF_AUTH, response={200: ShopRunawayOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：宣告跑路处置", description="confirm_name 须与店铺名称一致。售后期内的订单由系统分批全额退款。")
def shop_declare(request, shop_id: int, data: DeclareIn):
    runaway_disposal.runaway_declare(shop_id=shop_id, actor=_risk_user(request, shop_id), reason=data.reason, notice=data.notice,
                                     confirm_name=data.confirm_name)
    return _out(shop_id)


@router.get("/staff/runaway/shops/{shop_id}/report", auth=STAFF_AUTH, response={200: ReportOut, **errors(401, 403, 404)},
            summary="风控：跑路处置报告", description="每单退款金额及资金来源（来自账本分录），以及各来源账户合计，单位：分。")
def shop_report(request, shop_id: int):
    _risk_user(request, shop_id)
    disposal = freezes.disposal_of(shop_id)
    if disposal is None:
        raise NotFound("runaway_disposal_not_found", "该店铺没有跑路处置记录。")
    report = runaway_disposal.disposal_report(disposal)
    return {"rows": report["rows"], "totals": report["totals"], "refunded": report["refunded"]}
