"""处罚 API for risk staff (the staff console's actions, on the website's session only — an API
key never decides a penalty): the proposed queue, a penalty, proposing one, confirming or
dismissing it with a reason, and deciding an appeal (never by whoever confirmed the penalty)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Router, Schema
from ninja.responses import Status

from kadun.accounts.api_auth import STAFF_SESSION_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.core.errors import NotFound
from kadun.merchants import penalties, penalties_appeals
from kadun.merchants import selectors_penalties as reads
from kadun.merchants.penalties_errors import NotPenaltyStaff
from kadun.merchants.penalty_rules import violation_name

router = Router(tags=["staff: penalties"], auth=STAFF_SESSION_AUTH)


class StaffPenaltyOut(Schema):
    id: int
    shop_id: int
    kind: str
    name: str
    rule: str
    status: str
    level: str
    evidence: dict
    note: str
    fine: int
    fine_paid: bool
    decision_reason: str
    decided_at: Optional[dt.datetime] = None
    appeal_until: Optional[dt.datetime] = None


class ProposeIn(Schema):
    shop_id: int
    kind: str
    note: str = ""
    orders: list[int] = []
    cases: list[int] = []
    breaches: list[int] = []


class ConfirmIn(Schema):
    reason: str
    fine: int = 0  # 分, out of the deposit to the buyers harmed


class ReasonIn(Schema):
    reason: str


class AppealDecideIn(Schema):
    overturn: bool
    reason: str


class AppealOut(Schema):
    id: int
    penalty_id: int
    status: str


def _staff(request):
    user = caller_of(request).user
    if not penalties.can_decide(user):
        raise NotPenaltyStaff()
    return user


def _out(p) -> dict:
    return {"id": p.pk, "shop_id": p.shop_id, "kind": p.kind, "name": violation_name(p.kind), "rule": p.rule, "status": p.status,
            "level": p.level, "evidence": p.evidence, "note": p.note, "fine": p.fine, "fine_paid": p.fine_paid,
            "decision_reason": p.decision_reason, "decided_at": p.decided_at, "appeal_until": p.appeal_until}


@router.get("/staff/penalties", response={200: list[StaffPenaltyOut], **errors(401, 403)}, summary="风控：待审核的处罚提议")
def proposed(request):
    _staff(request)
    return [_out(p) for p in reads.proposed_queue()[:100]]


@router.get("/staff/penalties/{int:penalty_id}", response={200: StaffPenaltyOut, **errors(401, 403, 404)}, summary="风控：处罚详情")
def detail(request, penalty_id: int):
    _staff(request)
    return _out(reads.penalty_get(penalty_id))


@router.post("/staff/penalties", response={201: StaffPenaltyOut, **errors(400, 401, 403, 404, 422)}, summary="风控：提议处罚")
def propose(request, data: ProposeIn):
    user = _staff(request)
    if reads.shop_public(data.shop_id) is None:
        raise NotFound("shop_not_found", "店铺不存在。")
    penalty = penalties.penalty_propose(shop_id=data.shop_id, kind=data.kind, note=data.note, proposed_by=user,
                                        evidence={"orders": data.orders, "cases": data.cases, "breaches": data.breaches})
    return Status(201, _out(penalty))


@router.post("/staff/penalties/{int:penalty_id}/confirm", response={200: StaffPenaltyOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：确认处罚（警告 / 封号）")
def confirm(request, penalty_id: int, data: ConfirmIn):
    return _out(penalties.penalty_confirm(penalty_id=penalty_id, staff=_staff(request), reason=data.reason, fine=data.fine))


@router.post("/staff/penalties/{int:penalty_id}/dismiss", response={200: StaffPenaltyOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：驳回处罚提议")
def dismiss(request, penalty_id: int, data: ReasonIn):
    penalties.penalty_dismiss(penalty_id=penalty_id, staff=_staff(request), reason=data.reason)
    return _out(reads.penalty_get(penalty_id))


@router.post("/staff/penalty-appeals/{int:appeal_id}/decide", response={200: AppealOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：处理申诉（须由确认处罚以外的人员）")
def appeal_decide(request, appeal_id: int, data: AppealDecideIn):
    appeal = penalties_appeals.appeal_decide(appeal_id=appeal_id, staff=_staff(request), overturn=data.overturn, reason=data.reason)
    return {"id": appeal.pk, "penalty_id": appeal.penalty_id, "status": appeal.status}
