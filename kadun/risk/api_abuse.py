"""用后退款防护 over the API. A buyer (session or buyer API key): GET /abuse/record — their own
record, its facts and contests; POST /abuse/contests — contest it. Risk staff (the website's
session only, ``STAFF_SESSION_AUTH``): GET /staff/buyers/contests, GET /staff/buyers/{buyer_key},
POST /staff/buyers/contests/{contest_id}/answer. No signal (IP, device, contact) is ever returned;
staff see hash prefixes."""
from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from kadun.accounts.api_auth import STAFF_SESSION_AUTH, buyer_key, caller_of, session
from kadun.core.api_errors import errors
from kadun.core.errors import NotFound
from kadun.risk import abuse
from kadun.risk import selectors_abuse as reads
from kadun.risk.errors import NotRiskStaff
from kadun.risk.services import can_resolve

router = Router(tags=["risk: buyer abuse record"])
BUYER_AUTH = [buyer_key, session]


class BuyerRecordOut(Schema):
    buyer_key: str
    flagged: bool
    reasons: list[str]
    counts: dict[str, int]
    threshold: dict[str, int]
    facts: list[dict[str, Any]]
    contests: list[dict[str, Any]]


class BuyerContestIn(Schema):
    reason: str


class AnswerIn(Schema):
    decision: str
    note: str


class BuyerContestOut(Schema):
    id: int
    buyer_key: str
    status: str
    reason: str
    note: str
    created_at: str
    answered_at: str | None = None


def _contest(c) -> dict:
    return {"id": c.pk, "buyer_key": c.buyer_key, "status": c.status, "reason": c.reason, "note": c.note, "created_at": c.created_at.isoformat(),
            "answered_at": c.answered_at.isoformat() if c.answered_at else None}


def _record(key: str, *, staff: bool = False) -> dict:
    record = reads.record_of(key)
    facts = [{"kind": f.kind, "ref": f.ref, "at": f.at.isoformat(), "cleared": f.cleared_by_id is not None,
              **({"buyer_key": f.buyer_key} if staff else {})} for f in reads.facts_of(record)]
    out = {"buyer_key": key, "flagged": record.flagged, "reasons": list(record.reasons), "counts": record.counts, "threshold": reads.threshold(),
           "facts": facts, "contests": [_contest(c) for c in reads.contests_of(key)]}
    if staff:
        out["signals"] = [{"kind": s["kind"], "hash": s["hash"], "others": s["others"], "links": s["links"]} for s in reads.signals_of(key)]
    return out


class StaffRecordOut(BuyerRecordOut):
    signals: list[dict[str, Any]]


def _buyer(request):
    return caller_of(request).user  # BUYER_AUTH has no anonymous caller: no user is 401


def _risk(request):
    user = caller_of(request).user
    if not can_resolve(user):
        raise NotRiskStaff()
    request.kadun_sensitive = True
    return user


@router.get("/abuse/record", auth=BUYER_AUTH, response={200: BuyerRecordOut, **errors(401, 403)},
            summary="我的退款记录", description="近窗口期内的退款申请、裁决、验货等事实及「高风险退款记录」标记；不含 IP/设备/联系方式。")
def my_record(request):
    return _record(f"user:{_buyer(request).pk}")


@router.post("/abuse/contests", auth=BUYER_AUTH, response={201: BuyerContestOut, **errors(400, 401, 403, 409, 422)},
             summary="申诉我的退款记录", description="理由 10–2000 字；每个买家同时只能有一条待处理申诉（409 abuse_contest_open）。")
def contest_open(request, data: BuyerContestIn):
    return 201, _contest(abuse.abuse_contest_open(user=_buyer(request), reason=data.reason))


@router.get("/staff/buyers/contests", auth=STAFF_SESSION_AUTH, response={200: list[BuyerContestOut], **errors(401, 403)},
            summary="风控：待处理的买家申诉")
def staff_contests(request):
    _risk(request)
    return [_contest(c) for c in reads.open_contests()]


@router.get("/staff/buyers/{buyer_key}", auth=STAFF_SESSION_AUTH, response={200: StaffRecordOut, **errors(401, 403, 404)},
            summary="风控：买家记录", description="buyer_key：user:<id> 或 contact:<哈希>；信号只给出哈希前缀。")
def staff_buyer(request, buyer_key: str):
    _risk(request)
    if not (buyer_key.startswith("user:") or buyer_key.startswith("contact:")) or len(buyer_key) > 80:
        raise NotFound("buyer_not_found", "买家记录不存在。")
    return _record(buyer_key, staff=True)


@router.post("/staff/buyers/contests/{contest_id}/answer", auth=STAFF_SESSION_AUTH, response={200: BuyerContestOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：答复买家申诉", description="decision：accept（撤销当时记录中的事实）或 reject（记录保持）；note 5–500 字。")
def staff_answer(request, contest_id: int, data: AnswerIn):
    user = _risk(request)
    if data.decision not in ("accept", "reject"):
        raise abuse.ContestInvalid(message="decision 只能是 accept 或 reject。")
    return _contest(abuse.abuse_contest_answer(contest_id=contest_id, actor=user, accept=data.decision == "accept", note=data.note))
