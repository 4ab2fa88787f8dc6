"""处罚 API for the merchant: its penalties (with rule, evidence, appeal) and appealing one."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Router, Schema
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.merchants import penalties_appeals
from kadun.merchants import selectors_penalties as reads
from kadun.merchants.penalty_rules import violation_name
from kadun.merchants.selectors import shop_of

router = Router(tags=["merchant"], auth=MERCHANT_AUTH)


class PenaltyOut(Schema):
    id: int
    kind: str
    name: str
    rule: str
    status: str
    level: str
    evidence: dict
    fine: int
    decision_reason: str
    decided_at: Optional[dt.datetime] = None
    appeal_until: Optional[dt.datetime] = None
    appeal_status: Optional[str] = None


class AppealIn(Schema):
    reason: str


class AppealOut(Schema):
    penalty_id: int
    status: str
    filed_at: dt.datetime


def _out(p) -> dict:
    appeal = getattr(p, "appeal", None) if hasattr(p, "appeal") else None
    return {"id": p.pk, "kind": p.kind, "name": violation_name(p.kind), "rule": p.rule, "status": p.status, "level": p.level,
            "evidence": p.evidence, "fine": p.fine, "decision_reason": p.decision_reason, "decided_at": p.decided_at,
            "appeal_until": p.appeal_until, "appeal_status": appeal.status if appeal else None}


@router.get("/penalties", response={200: list[PenaltyOut], **errors(401, 403)}, summary="我的处罚记录")
def penalty_list(request):
    return [_out(p) for p in reads.penalties_of_shop(shop_of(caller_of(request).user).pk)[:100]]


@router.post("/penalties/{int:penalty_id}/appeal", response={201: AppealOut, **errors(400, 401, 403, 404, 409, 422)}, summary="申诉处罚")
def penalty_appeal(request, penalty_id: int, data: AppealIn):
    appeal = penalties_appeals.appeal_file(shop=shop_of(caller_of(request).user), penalty_id=penalty_id, reason=data.reason)
    return Status(201, appeal)
