"""The platform's part of a case, for staff on the website's session (a key never carries a
staff role: a bearer key is 403 ``session_required``; CSRF is enforced on writes).

Every staff role reads the queue, a case with its internal notes, staff-only events and SLA
clocks, and the SLA report. Support staff and arbitrators (and admins) act: take or hand a case,
write to both sides, keep internal notes, ask a side for evidence, resolve an inquiry or a
complaint. Only arbitrators decide, and an appeal is heard by another arbitrator. Risk staff
read and never act (403 ``case_forbidden``). A staff member who is the order's buyer or merchant
is 403 ``own_case`` on it."""

from typing import Literal, Optional

from ninja import Query, Router
from ninja.errors import ValidationError
from ninja.pagination import paginate
from ninja.responses import Status

from kadun.accounts.selectors import active_user
from kadun.cases import review, selectors, thread
from kadun.cases.api import errors as e
from kadun.cases.api.common import STAFF_AUTH, Mapped, body_with_images, extra, idempotent, staff_case, staff_user
from kadun.cases.api.errors import Errors
from kadun.cases.api.out import decision_out, evidence_request_out, message_out, queue_item_out, staff_case_out
from kadun.cases.errors import CaseNotAllowed, InvalidCaseInput
from kadun.cases.schemas import (
    CaseAssignIn, CaseDecideIn, CaseEvidenceRequestIn, CaseEvidenceRequestOut, CaseMessageIn, CaseResolveIn, CaseSlaReportOut,
    CaseStaffDecisionOut, CaseStaffMessageOut, StaffCaseOut, StaffCaseQueueItemOut,
)
from kadun.cases.schemas import CaseKind, Priority
from kadun.cases.states import Party
from kadun.core.api_pagination import Pagination

router = Router(tags=["cases: staff"])


def _support(user) -> None:
    if not review.is_support(user):
        raise CaseNotAllowed(message="只有客服或仲裁员可以处理工单（风控角色只能查看）。")


def _staff_detail(request, case_no: str) -> dict:
    _user, case = staff_case(request, case_no)
    return staff_case_out(case)


QUEUE = Errors.of(e.STAFF_CALLER, e.INPUT)


@router.get(
    "/staff/cases", auth=STAFF_AUTH, response={200: list[StaffCaseQueueItemOut], **QUEUE.responses}, openapi_extra=extra(QUEUE),
    summary="平台：工单队列", description="平台处理中（平台介入、申诉复核）的工单，最接近服务时限（SLA）的在前。mine：指派给我的；breached：已超时的。",
)
@paginate(Pagination, page_size=50, max_page_size=100)
def staff_queue(request, kind: Optional[CaseKind] = None, priority: Optional[Priority] = None,
                status: Optional[Literal["platform_review", "appealed"]] = None, assignee_id: Optional[int] = None,
                mine: bool = False, breached: bool = False):
    user = staff_user(request)
    qs = selectors.staff_queue(kind=kind or "", priority=priority or "", status=status or "", assignee_id=assignee_id,
                               mine_of=user if mine else None, breached=breached).select_related("refund_request")
    return Mapped(qs, queue_item_out)


READ = Errors.of(e.STAFF_CALLER, e.CASE_NOT_FOUND, e.OWN_CASE)


@router.get("/staff/cases/{case_no}", auth=STAFF_AUTH, response={200: StaffCaseOut, **READ.responses}, openapi_extra=extra(READ),
            summary="平台：工单详情", description="含内部备注、仅平台可见的事件（指派、SLA 超时）和 SLA 计时。")
def staff_case_detail(request, case_no: str):
    return _staff_detail(request, case_no)


ACT = (e.STAFF_CALLER, e.CASE_NOT_FOUND, e.OWN_CASE, e.IDEMPOTENCY_BUSY, e.INPUT)
SUPPORT_ACT = (*ACT, e.CASE_FORBIDDEN)  # support, arbitrators and admins; risk staff are refused
ASSIGN = Errors.of(*SUPPORT_ACT, (400, "invalid_assignee", "只能指派给客服或仲裁员"), e.CASE_STATE)


@router.post("/staff/cases/{case_no}/assign", auth=STAFF_AUTH, response={200: StaffCaseOut, **ASSIGN.responses},
             openapi_extra=extra(ASSIGN, idem=True), summary="平台：指派工单", description="客服或仲裁员；assignee_id 不填为指派给自己。")
@idempotent
def staff_assign(request, case_no: str, data: CaseAssignIn):
    user, case = staff_case(request, case_no)
    assignee = user if data.assignee_id is None else active_user(user_id=data.assignee_id)
    if assignee is None:
        raise InvalidCaseInput("invalid_assignee", "只能指派给客服或仲裁员。")
    review.case_assign(case=case, staff=user, assignee=assignee)
    return _staff_detail(request, case_no)


WRITE = Errors.of(*SUPPORT_ACT, e.MESSAGE)


def _post(request, case_no: str, *, internal: bool):
    user, case = staff_case(request, case_no)
    _support(user)
    data, images = body_with_images(request, CaseMessageIn)
    message = thread.message_post(order=case.order, party=Party.STAFF, author=user, body=data.body, images=images, internal=internal)
    shown = next(m for m in selectors.thread(case.order, role=selectors.STAFF) if m.pk == message.pk)
    return Status(201, message_out(shown, staff=True))


@router.post(
    "/staff/cases/{case_no}/notes", auth=STAFF_AUTH, response={201: CaseStaffMessageOut, **WRITE.responses},
    openapi_extra=extra(WRITE, body=CaseMessageIn, idem=True), summary="平台：内部备注",
    description="客服或仲裁员。买家和商家永远看不到（接口、页面、站内信都不会出现）。",
)
@idempotent
def staff_note(request, case_no: str):
    return _post(request, case_no, internal=True)


@router.post(
    "/staff/cases/{case_no}/messages", auth=STAFF_AUTH, response={201: CaseStaffMessageOut, **WRITE.responses},
    openapi_extra=extra(WRITE, body=CaseMessageIn, idem=True), summary="平台：发消息给双方",
    description="客服或仲裁员。双方都能看到；平台介入期间的首条消息达成首次响应时限。",
)
@idempotent
def staff_message(request, case_no: str):
    return _post(request, case_no, internal=False)


EVIDENCE = Errors.of(*SUPPORT_ACT, (400, "text_required", "证据要求至少5个字"), (400, "invalid_hours", "举证期限需在1到168小时之间"), e.CASE_STATE)


@router.post(
    "/staff/cases/{case_no}/evidence-requests", auth=STAFF_AUTH, response={201: CaseEvidenceRequestOut, **EVIDENCE.responses},
    openapi_extra=extra(EVIDENCE, idem=True), summary="平台：调取证据",
    description="客服或仲裁员，平台介入或申诉复核中。要求一方在期限内提交证据，期间平台计时暂停；逾期按现有证据裁决。",
)
@idempotent
def staff_evidence_request(request, case_no: str, data: CaseEvidenceRequestIn):
    user, case = staff_case(request, case_no)
    _support(user)
    asked = review.evidence_request(case=case, staff=user, party=data.party, text=data.text, hours=data.hours)
    return Status(201, evidence_request_out(asked))


DECIDE = Errors.of(*ACT, e.DECISION_INPUT)
APPEAL_DECIDE = Errors.of(*ACT, e.DECISION_INPUT, (403, "same_arbitrator", "申诉须由另一位仲裁员复核"))


@router.post(
    "/staff/cases/{case_no}/decide", auth=STAFF_AUTH, response={201: CaseStaffDecisionOut, **DECIDE.responses},
    openapi_extra=extra(DECIDE, idem=True), summary="平台：裁决",
    description=(
        "仅仲裁员（客服 403 decide_forbidden），平台介入中。写明理由，引用下单时冻结的条款（涉及退款的必填）和证据编号。"
        "申诉期（appeal_days）结束后生效执行，或各方放弃申诉后立即执行。"
    ),
)
@idempotent
def staff_decide(request, case_no: str, data: CaseDecideIn):
    user, case = staff_case(request, case_no)
    decision = review.case_decide(case=case, arbitrator=user, remedy=data.remedy, fault=data.fault, reasons=data.reasons,
                                  clauses=data.clauses, evidence=data.evidence, amount=data.amount, hours=data.hours)
    return Status(201, decision_out(decision, staff=True))


@router.post(
    "/staff/cases/{case_no}/appeal-decision", auth=STAFF_AUTH, response={201: CaseStaffDecisionOut, **APPEAL_DECIDE.responses},
    openapi_extra=extra(APPEAL_DECIDE, idem=True), summary="平台：申诉复核裁决",
    description="仅仲裁员，且不能是原裁决人（403 same_arbitrator）。终局，立即执行。",
)
@idempotent
def staff_appeal_decide(request, case_no: str, data: CaseDecideIn):
    user, case = staff_case(request, case_no)
    decision = review.appeal_decide(case=case, arbitrator=user, remedy=data.remedy, fault=data.fault, reasons=data.reasons,
                                    clauses=data.clauses, evidence=data.evidence, amount=data.amount, hours=data.hours)
    return Status(201, decision_out(decision, staff=True))


RESOLVE = Errors.of(*SUPPORT_ACT, (400, "note_required", "处理结果至少5个字"), (409, "not_resolvable", "涉及退款的工单须由仲裁员裁决，或工单不在平台介入中"))


@router.post(
    "/staff/cases/{case_no}/resolve", auth=STAFF_AUTH, response={200: StaffCaseOut, **RESOLVE.responses},
    openapi_extra=extra(RESOLVE, idem=True), summary="平台：处理并结案（咨询、投诉）",
    description="客服或仲裁员。回复咨询或处理投诉并结案，不涉及退款；处理结果作为平台消息发给双方。",
)
@idempotent
def staff_resolve(request, case_no: str, data: CaseResolveIn):
    user, case = staff_case(request, case_no)
    review.case_resolve(case=case, staff=user, note=data.note)
    return _staff_detail(request, case_no)


SLA = Errors.of(e.STAFF_CALLER, e.INPUT)


@router.get("/staff/sla", auth=STAFF_AUTH, response={200: CaseSlaReportOut, **SLA.responses}, openapi_extra=extra(SLA),
            summary="平台：服务时限达成率", description="最近 7 或 30 天开始计时的 SLA 目标，按目标和工单类型统计达成比例。")
def staff_sla(request, days: int = Query(7, description="7 或 30")):
    staff_user(request)
    if days not in (7, 30):
        raise ValidationError([{"loc": ["query", "days"], "msg": "days 只能是 7 或 30。", "type": "enum"}])
    return {"days": days, "rows": selectors.sla_report(days=days)}
