"""The two sides of an order: the buyer opens, follows, answers offers and withdraws a case;
both sides write on the thread, ask the platform and appeal. The side of every action is the
caller's role on the order (``order_access`` / ``case_access``), never a field of the request."""

from typing import Optional

from django.http import FileResponse
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from kadun.accounts.api_auth import PARTY_AUTH
from kadun.aftersales import selectors as refunds
from kadun.aftersales.errors import RequestNotFound
from kadun.cases import attachments, draft, negotiation, review, selectors, services, thread
from kadun.cases.api import errors as e
from kadun.cases.api.common import (
    ACCOUNT_AUTH, BUYER_AUTH, Mapped, author, body_with_images, buyer_only, case_of, extra, idempotent, order_of,
    party, viewer,
)
from kadun.cases.api.errors import Errors
from kadun.cases.api.out import case_out, summary_out, thread_out
from kadun.cases.errors import CaseNotFound
from kadun.cases.schemas import (
    CaseAppealIn, CaseOpenIn, CaseOut, CaseSummaryOut, CaseDraftOut, CaseEscalateIn, CaseMessageIn, CaseMessageOut, CaseOfferRejectIn,
)
from kadun.cases.schemas import CaseKind
from kadun.core.api_pagination import Pagination
from kadun.orders.selectors import BUYER, MERCHANT

router = Router(tags=["cases"])


def seen_as(role: str) -> str:
    """What a caller is shown on the sides' endpoints: staff reading here see what both sides see."""
    return role if role in (BUYER, MERCHANT) else BUYER


def detail(request, case_no: str) -> dict:
    case, role = case_of(request, case_no)
    return case_out(case, role=role)


def _act(request, case_no: str, *, buyer: bool = False):
    """(case, side) for an action on a case; ``buyer``: the buyer's alone."""
    case, role = case_of(request, case_no)
    if buyer:
        buyer_only(role)
    return case, party(role)


# Opening a case -------------------------------------------------------------------------------

OPEN = Errors.of(e.ORDER_CALLER, e.ORDER_NOT_FOUND, e.NOT_THE_BUYER, e.OPEN, e.IMAGES, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/orders/{order_no}/cases", auth=BUYER_AUTH, response={201: CaseOut, **OPEN.responses},
    openapi_extra=extra(OPEN, body=CaseOpenIn, idem=True, optional_auth=True), summary="发起售后工单",
    description=(
        "仅买家（登录买家，或持 X-Order-Token 的游客）。JSON，或带图片时用 multipart/form-data（images 字段）。"
        "退款纠纷、卡密问题、服务纠纷先由商家回复（期限见 progress）；咨询和投诉直接由平台处理。"
        "工单处理期间订单资金冻结（不能确认收货、不结算）。一个订单同时只能有一个处理中的工单（409 case_open）。"
    ),
)
@idempotent
def case_open(request, order_no: str):
    order, role = order_of(request, order_no)
    buyer_only(role)
    data, images = body_with_images(request, CaseOpenIn)
    case = services.case_open(
        order=order, kind=data.kind, statement=data.statement, remedy=data.remedy or "", amount=data.amount,
        key_ids=data.key_ids, images=images, author=author(request),
    )
    return Status(201, detail(request, case.case_no))


LIST = Errors.of(e.ORDER_CALLER, e.ORDER_NOT_FOUND)


@router.get("/orders/{order_no}/cases", auth=PARTY_AUTH, response={200: list[CaseSummaryOut], **LIST.responses},
            openapi_extra=extra(LIST, optional_auth=True), summary="订单的售后工单", description="订单的买家和商家可见，最新的在前。")
def case_list_of_order(request, order_no: str):
    order, _role = order_of(request, order_no)
    return [summary_out(c) for c in selectors.cases_of_order(order).select_related("order", "refund_request")]


DRAFT = Errors.of(e.ORDER_CALLER, e.ORDER_NOT_FOUND, e.REQUEST_NOT_FOUND, e.NOT_THE_BUYER, e.INPUT)


@router.get(
    "/orders/{order_no}/cases/draft", auth=BUYER_AUTH, response={200: CaseDraftOut, **DRAFT.responses},
    openapi_extra=extra(DRAFT, optional_auth=True), summary="工单说明草稿",
    description="仅买家。按订单事实和适用的下单时冻结条款起草说明，买家修改后提交。request_no：为该退款申请「申请平台介入」起草。",
)
def case_draft(request, order_no: str, kind: CaseKind, remedy: str = "", request_no: Optional[str] = None):
    order, role = order_of(request, order_no)
    buyer_only(role)
    refund_request = None
    if request_no:
        refund_request, _ = refunds.request_access(request_no=request_no, viewer=viewer(request))
        if refund_request.order_id != order.pk:
            raise RequestNotFound()
    remedy = remedy if remedy in ("full_refund", "partial_refund", "replacement") else ""
    text = draft.statement_draft(order=order, kind=kind, remedy=remedy, refund_request=refund_request)
    return {"kind": kind, "remedy": remedy, "statement": text}


ESCALATE = Errors.of(e.ORDER_CALLER, e.REQUEST_NOT_FOUND, e.NOT_THE_BUYER, (400, "not_escalatable", "只有商家已拒绝或部分同意的退款申请可以申请平台介入"),
                     (400, "already_escalated", "该退款申请已申请过平台介入"),
                     e.OPEN, e.IMAGES, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/refund-requests/{request_no}/escalate", auth=BUYER_AUTH, response={201: CaseOut, **ESCALATE.responses},
    openapi_extra=extra(ESCALATE, body=CaseEscalateIn, idem=True, optional_auth=True), summary="申请平台介入（退款申请）",
    description=(
        "仅买家，且仅限商家已拒绝或部分同意的退款申请：生成一个直接由平台处理的工单，带上申请的经过、证据和商家的答复。"
        "对这些卡密重复申请退款会被拒绝（409 refund_request_answered），应改用此接口。"
    ),
)
@idempotent
def case_escalate(request, request_no: str):
    refund_request, role = refunds.request_access(request_no=request_no, viewer=viewer(request))
    request.kadun_sensitive = True
    buyer_only(role)
    data, images = body_with_images(request, CaseEscalateIn)
    case = services.case_escalate_request(
        order=refund_request.order, request_no=refund_request.request_no, statement=data.statement, images=images, author=author(request),
    )
    return Status(201, detail(request, case.case_no))


MINE = Errors.of(e.BUYER_CALLER, e.INPUT)


@router.get("/cases", auth=ACCOUNT_AUTH, response={200: list[CaseSummaryOut], **MINE.responses}, openapi_extra=extra(MINE),
            summary="我的售后工单", description="登录买家自己订单上的工单，最新的在前。")
@paginate(Pagination, page_size=50, max_page_size=100)
def case_list_mine(request):
    request.kadun_sensitive = True
    user = author(request)
    return Mapped(selectors.buyer_cases(user).select_related("order", "refund_request"), summary_out)


# Reading a case -------------------------------------------------------------------------------

READ = Errors.of(e.PARTY_CALLER, e.CASE_NOT_FOUND)


@router.get(
    "/cases/{case_no}", auth=PARTY_AUTH, response={200: CaseOut, **READ.responses}, openapi_extra=extra(READ, optional_auth=True),
    summary="售后工单详情",
    description=(
        "订单的买家（含持 X-Order-Token 的游客）和商家可见：进度（步骤、等待谁、期限、倒计时秒数、逾期的默认结果）、方案、"
        "举证要求、裁决和申诉权。从不包含平台内部备注和仅平台可见的事件。"
    ),
)
def case_detail(request, case_no: str):
    case, role = case_of(request, case_no)
    return case_out(case, role=role)


@router.get("/cases/{case_no}/messages", auth=PARTY_AUTH, response={200: list[CaseMessageOut], **READ.responses},
            openapi_extra=extra(READ, optional_auth=True), summary="工单沟通记录",
            description="订单的全部沟通（工单之前的订单沟通在前），按时间排列，no 为证据编号（#n）。不含平台内部备注。")
def case_messages(request, case_no: str):
    case, role = case_of(request, case_no)
    return thread_out(case.order, role=seen_as(role))


@router.get("/orders/{order_no}/messages", auth=PARTY_AUTH, response={200: list[CaseMessageOut], **LIST.responses},
            openapi_extra=extra(LIST, optional_auth=True), summary="订单沟通记录", description="买家与商家的订单沟通（含工单消息），不含平台内部备注。")
def order_messages(request, order_no: str):
    order, role = order_of(request, order_no)
    return thread_out(order, role=seen_as(role))


POST = Errors.of(e.PARTY_CALLER, e.ORDER_NOT_FOUND, e.CASE_FORBIDDEN, e.MESSAGE, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/orders/{order_no}/messages", auth=PARTY_AUTH, response={201: CaseMessageOut, **POST.responses},
    openapi_extra=extra(POST, body=CaseMessageIn, idem=True, optional_auth=True), summary="发送消息",
    description=(
        "订单的买家或商家（身份由订单决定）。没有处理中的工单时是订单沟通（如代充验证码），有工单时进入工单：商家首次回复即进入协商，"
        "一方回复后期限转给另一方；被要求举证的一方发消息即视为已提交。消息一经发送不能修改或删除。JSON，或带图片用 multipart/form-data。"
    ),
)
@idempotent
def message_post(request, order_no: str):
    order, role = order_of(request, order_no)
    side = party(role)
    data, images = body_with_images(request, CaseMessageIn)
    message = thread.message_post(order=order, party=side, author=author(request), body=data.body, images=images)
    shown = next(m for m in thread_out(order, role=side) if m["id"] == message.pk)
    return Status(201, shown)


ATTACHMENT = Errors.of(e.PARTY_CALLER, e.CASE_NOT_FOUND)


@router.get(
    "/cases/attachments/{int:attachment_id}", auth=PARTY_AUTH, response={200: None, **ATTACHMENT.responses},
    openapi_extra=extra(ATTACHMENT, optional_auth=True, responses={
        **ATTACHMENT.openapi["responses"], 200: {"description": "图片", "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}},
    }),
    summary="消息图片", description="与消息同样的权限：订单的买家、商家和平台；内部备注的图片只有平台可见。",
)
def attachment_file(request, attachment_id: int):
    attachment = selectors.attachment_access(attachment_id=attachment_id, viewer=viewer(request))
    request.kadun_sensitive = True
    try:
        handle = attachments.open_file(attachment)
    except OSError:
        raise CaseNotFound() from None
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


# Acting on a case ----------------------------------------------------------------------------

ASK = Errors.of(e.PARTY_CALLER, e.CASE_NOT_FOUND, e.CASE_FORBIDDEN, (409, "escalation_too_early", "等待商家回复时，商家回复期限之前"),
                e.CASE_STATE, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/cases/{case_no}/ask-platform", auth=PARTY_AUTH, response={200: CaseOut, **ASK.responses},
    openapi_extra=extra(ASK, idem=True, optional_auth=True), summary="申请平台介入",
    description="协商中任一方可申请；等待商家回复时仅买家，且须在商家回复期限（may_ask_platform_at）之后。",
)
@idempotent
def case_ask_platform(request, case_no: str):
    case, side = _act(request, case_no)
    services.case_ask_platform(case=case, party=side, author=author(request))
    return detail(request, case_no)


WITHDRAW = Errors.of(e.ORDER_CALLER, e.CASE_NOT_FOUND, e.NOT_THE_BUYER, e.CASE_STATE, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post("/cases/{case_no}/withdraw", auth=BUYER_AUTH, response={200: CaseOut, **WITHDRAW.responses},
             openapi_extra=extra(WITHDRAW, idem=True, optional_auth=True), summary="撤回工单", description="仅买家，且在裁决之前。")
@idempotent
def case_withdraw(request, case_no: str):
    case, _side = _act(request, case_no, buyer=True)
    services.case_withdraw(case=case, author=author(request))
    return detail(request, case_no)


ACCEPT = Errors.of(e.ORDER_CALLER, e.CASE_NOT_FOUND, e.NOT_THE_BUYER, e.OFFER_CLOSED, e.REMEDY, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/cases/{case_no}/offers/{int:offer_id}/accept", auth=BUYER_AUTH, response={200: CaseOut, **ACCEPT.responses},
    openapi_extra=extra(ACCEPT, idem=True, optional_auth=True), summary="接受商家方案",
    description="仅买家。立即执行：退款原路退回（全额退款时卡密作废），或从库存补发；库存不足时商家须在承诺时限内补发，逾期系统全额退款。",
)
@idempotent
def offer_accept(request, case_no: str, offer_id: int):
    case, _side = _act(request, case_no, buyer=True)
    negotiation.offer_accept(case=case, offer_id=offer_id, author=author(request))
    return detail(request, case_no)


REJECT = Errors.of(e.ORDER_CALLER, e.CASE_NOT_FOUND, e.NOT_THE_BUYER, e.OFFER_CLOSED, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post("/cases/{case_no}/offers/{int:offer_id}/reject", auth=BUYER_AUTH, response={200: CaseOut, **REJECT.responses},
             openapi_extra=extra(REJECT, idem=True, optional_auth=True), summary="拒绝商家方案",
             description="仅买家。商家可在回复期限内提出新方案，逾期自动转平台介入；任一方也可申请平台介入。")
@idempotent
def offer_reject(request, case_no: str, offer_id: int, data: CaseOfferRejectIn):
    case, _side = _act(request, case_no, buyer=True)
    negotiation.offer_reject(case=case, offer_id=offer_id, author=author(request), note=data.note)
    return detail(request, case_no)


APPEAL = Errors.of(e.PARTY_CALLER, e.CASE_NOT_FOUND, e.CASE_FORBIDDEN, (403, "appeal_forbidden", "裁决已支持您的全部主张"),
                   (400, "statement_required", "申诉理由至少10个字"), (409, "appeal_closed", "不在申诉期内"), e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/cases/{case_no}/appeal", auth=PARTY_AUTH, response={200: CaseOut, **APPEAL.responses},
    openapi_extra=extra(APPEAL, idem=True, optional_auth=True), summary="申诉",
    description="裁决未支持己方全部主张的一方，在申诉期内（appeal_rights）。由另一位仲裁员复核，复核结果为终局并立即执行。",
)
@idempotent
def case_appeal(request, case_no: str, data: CaseAppealIn):
    case, side = _act(request, case_no)
    review.case_appeal(case=case, party=side, statement=data.statement, author=author(request))
    return detail(request, case_no)


WAIVE = Errors.of(e.PARTY_CALLER, e.CASE_NOT_FOUND, e.CASE_FORBIDDEN, e.CASE_STATE, e.REMEDY, e.IDEMPOTENCY_BUSY, e.INPUT)


@router.post(
    "/cases/{case_no}/waive-appeal", auth=PARTY_AUTH, response={200: CaseOut, **WAIVE.responses},
    openapi_extra=extra(WAIVE, idem=True, optional_auth=True), summary="放弃申诉",
    description="有申诉权的一方放弃申诉；各方都放弃后裁决立即生效执行（退款到分）。",
)
@idempotent
def case_waive_appeal(request, case_no: str):
    case, side = _act(request, case_no)
    review.decision_waive(case=case, party=side, author=author(request))
    return detail(request, case_no)
