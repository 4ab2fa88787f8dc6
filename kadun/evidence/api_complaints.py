"""The public complaint board (曝光) over the API, mounted at the API's root by ``kadun/api.py``.

- ``GET /complaints`` (anyone): the board, newest first, filters ``shop``, ``category``,
  ``outcome``, ``period`` (30 / 90 / 365), keyset paging (``before`` / ``after``).
- ``GET /complaints/{no}`` (anyone for a published one; a pending or rejected one only its buyer).
- ``POST /orders/{order_no}/complaint`` (the order's buyer: a ``buyer`` key, the session, or a
  guest's ``X-Order-Token``): ``{"statement"}`` only — any other field (a verified field) is 422.
- ``POST /complaints/{no}/withdraw`` (the buyer), ``POST /complaints/{no}/reply`` (the shop's
  merchant: a ``merchant`` key or the session; ``{"body"}``, once).
- ``GET /staff/complaints``, ``POST /staff/complaints/{no}/moderate`` (staff on the website's
  session: support, risk, admins; ``{"action": approve|reject|redact|redact_reply, "reason",
  "note", "text"}``).
There is no endpoint that changes a verified field. Errors are ``{code, message}``."""
from __future__ import annotations

from typing import Literal, Optional

from ninja import Router, Schema
from pydantic import ConfigDict

from kadun.accounts.api_auth import MERCHANT_AUTH, ORDER_AUTH, PARTY_AUTH, PUBLIC_AUTH, SessionRequired, caller_of, order_token_of, session
from kadun.core.api_errors import errors
from kadun.core.errors import Forbidden
from kadun.evidence import complaints
from kadun.evidence import selectors_complaints as reads
from kadun.evidence.complaints_display import present
from kadun.merchants.selectors import shop_of
from kadun.orders.selectors import Viewer, order_access

router = Router(tags=["complaints"])


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PublishIn(_Strict):
    statement: str


class ReplyIn(_Strict):
    body: str


class ModerateIn(_Strict):
    action: Literal["approve", "reject", "redact", "redact_reply"]
    reason: str = ""
    note: str = ""
    text: str = ""


class NoApiKey:
    """Staff endpoints take the website's session only: a bearer key is 403 ``session_required``."""

    def __call__(self, request):
        if request.headers.get("Authorization", "").strip().lower().startswith("bearer"):
            raise SessionRequired()
        return None


STAFF_AUTH = [NoApiKey(), session]


def _viewer(request) -> Viewer:
    caller = caller_of(request)
    return Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)


def _user(request):
    caller = caller_of(request)
    return caller.user if caller.authenticated else None


def _out(complaint, role: str) -> dict:
    shown = present(complaint, role=role, reply=reads.reply_of(complaint))
    return {k: v for k, v in shown.items() if k != "role"} | {"viewer": role}


def _page_item(c) -> dict:
    return _out(c, reads.PUBLIC)


@router.get("/complaints", auth=PUBLIC_AUTH, response={200: dict, **errors(401, 422)}, summary="曝光台",
            description="公开的曝光，最新的在前；按店铺、类别、结果、时间筛选；before/after 为翻页的曝光 id。")
def board(request, shop: Optional[int] = None, category: str = "", outcome: str = "", period: str = "",
          before: Optional[int] = None, after: Optional[int] = None):
    page = reads.board_page(before=before, after=after, size=20, shop_id=shop, category=category, outcome=outcome, period=period)
    return {"items": [_page_item(c) | {"id": c.pk} for c in page.items], "older_than": page.older_than, "newer_than": page.newer_than}


@router.get("/complaints/{complaint_no}", auth=PARTY_AUTH, response={200: dict, **errors(401, 403, 404)}, summary="曝光详情")
def detail(request, complaint_no: str):
    complaint, role = reads.complaint_access(complaint_no=complaint_no, viewer=_viewer(request))
    if not complaint.public:
        request.kadun_sensitive = True
    return _out(complaint, role)


@router.post("/orders/{order_no}/complaint", auth=ORDER_AUTH, response={201: dict, **errors(400, 401, 403, 404, 409, 422)},
             summary="发布曝光", description="只有订单的买家；只接受 statement（已核实信息由系统生成，带其他字段为 422）。")
def publish(request, order_no: str, data: PublishIn):
    order, role = order_access(order_no=order_no, viewer=_viewer(request))
    request.kadun_sensitive = True
    complaint = complaints.complaint_publish(order=order, role=role, author=_user(request), statement=data.statement)
    return 201, _out(complaint, role)


@router.post("/complaints/{complaint_no}/withdraw", auth=ORDER_AUTH, response={200: dict, **errors(401, 403, 404, 409)}, summary="撤回曝光",
             description="只有订单的买家；撤回记入存证，页面只保留撤回提示。")
def withdraw(request, complaint_no: str):
    complaint, role = reads.complaint_access(complaint_no=complaint_no, viewer=_viewer(request))
    complaints.complaint_withdraw(complaint=complaint, role=role, author=_user(request))
    return _out(complaint, role)


@router.post("/complaints/{complaint_no}/reply", auth=MERCHANT_AUTH, response={201: dict, **errors(400, 401, 403, 404, 409, 422)},
             summary="商家公开回复（一次）")
def reply(request, complaint_no: str, data: ReplyIn):
    user = _user(request)
    shop = shop_of(user)
    complaint, role = reads.complaint_access(complaint_no=complaint_no, viewer=_viewer(request))
    complaints.complaint_reply(complaint=complaint, shop=shop, author=user, body=data.body)
    return 201, _out(complaint, role)


def _staff(request):
    user = _user(request)
    if not getattr(user, "staff_role", ""):
        raise Forbidden("staff_only", "仅平台工作人员可用。")
    request.kadun_sensitive = True
    return user


@router.get("/staff/complaints", auth=STAFF_AUTH, response={200: list[dict], **errors(401, 403, 422)}, summary="平台：待审核的曝光")
def staff_queue(request, after: Optional[int] = None):
    _staff(request)
    return [_out(c, "staff") | {"id": c.pk, "statement_original": c.statement} for c in reads.moderation_queue(after=after)]


@router.post("/staff/complaints/{complaint_no}/moderate", auth=STAFF_AUTH, response={200: dict, **errors(400, 401, 403, 404, 409, 422)},
             summary="平台：审核曝光", description="只能因含个人信息（personal_data）、辱骂（insult）或与订单无关（unrelated）驳回，须写说明；"
             "隐藏（redact）只能把原文部分替换为「［已隐藏］」，理由限 personal_data / insult。")
def moderate(request, complaint_no: str, data: ModerateIn):
    user = _staff(request)
    complaint, role = reads.complaint_access(complaint_no=complaint_no, viewer=Viewer(user=user))
    if role != "staff":
        raise Forbidden("own_complaint", "您是该订单的买家或商家，不能审核这条曝光。")
    if data.action == "approve":
        complaints.complaint_approve(complaint=complaint, staff=user)
    elif data.action == "reject":
        complaints.complaint_reject(complaint=complaint, staff=user, reason=data.reason, note=data.note)
    elif data.action == "redact":
        complaints.complaint_redact(complaint=complaint, staff=user, reason=data.reason, note=data.note, text=data.text)
    else:
        complaints.reply_redact(complaint=complaint, staff=user, reason=data.reason, note=data.note, text=data.text)
    complaint.refresh_from_db()
    return _out(complaint, role)
