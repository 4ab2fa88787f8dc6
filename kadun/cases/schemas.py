"""API shapes for after-sales cases (售后工单). Money is an integer number of 分.

Who sees what:
- the buyer and the merchant of the order (``CaseOut``, ``CaseMessageOut``): the case, its progress
  (stepper, who must act, by when, and the default outcome), offers, evidence requests, decisions,
  appeal rights, the events both sides see and the thread without internal notes. Never an
  internal note, a staff-only event, the staff's names or the SLA clocks.
- staff (``StaffCaseOut``): everything, with internal notes, staff-only events (assignments,
  SLA breaches), who acted, and the SLA clocks.

``kadun.cases.api.out`` builds them (``case_out``, ``staff_case_out``, ``message_out``): the only
way the API turns a case into a response, reading through ``cases.selectors`` with the viewer's role.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from ninja import Field, Schema

from kadun.cases import states

# The case vocabulary as plain enums of values: an Enum class would become an OpenAPI component
# named after it, and aftersales has an ``Outcome`` too (components are named by class).
CaseKind = Literal[tuple(states.CaseKind.values)]  # type: ignore[valid-type]
CaseStatus = Literal[tuple(states.CaseStatus.values)]  # type: ignore[valid-type]
EvidenceRequestStatus = Literal[tuple(states.EvidenceRequestStatus.values)]  # type: ignore[valid-type]
Fault = Literal[tuple(states.Fault.values)]  # type: ignore[valid-type]
OfferStatus = Literal[tuple(states.OfferStatus.values)]  # type: ignore[valid-type]
Outcome = Literal[tuple(states.Outcome.values)]  # type: ignore[valid-type]
Priority = Literal[tuple(states.Priority.values)]  # type: ignore[valid-type]
Remedy = Literal[tuple(states.Remedy.values)]  # type: ignore[valid-type]
OfferRemedy = Literal["full_refund", "partial_refund", "replacement"]
Side = Literal["buyer", "merchant"]


# Inputs ------------------------------------------------------------------------------------


class CaseOpenIn(Schema):
    """Opening a case, as JSON; as multipart/form-data the same fields are form fields
    (``key_ids`` repeated or comma-separated) plus ``images`` files."""

    kind: CaseKind = Field(description="inquiry 咨询；refund_dispute 退款纠纷；key_problem 卡密问题；service_dispute 服务纠纷；complaint 投诉商家")
    statement: str = Field(description="问题说明，5到4000字（可先取 GET .../cases/draft 的草稿再修改）")
    remedy: Optional[OfferRemedy] = Field(None, description="退款纠纷/卡密问题/服务纠纷的诉求：full_refund（默认）、partial_refund、replacement")
    amount: Optional[int] = Field(None, description="partial_refund：申请金额（分），大于0且不超过订单可退金额")
    key_ids: list[int] = Field(default_factory=list, max_length=1000, description="涉及的卡密 id（卡密订单，可选：默认全部）")


class CaseEscalateIn(Schema):
    statement: str = Field(description="申请平台介入的说明，5到4000字")


class CaseMessageIn(Schema):
    body: str = Field("", description="消息内容，最多4000字；带图片时可为空")


class CaseOfferIn(Schema):
    remedy: OfferRemedy = Field(description="只能是下单时冻结的退款规则允许的方案（见工单的 offer_remedies）")
    amount: Optional[int] = Field(None, description="partial_refund：金额（分），大于0且小于诉求金额")
    hours: Optional[int] = Field(None, description="replacement：补发时限（小时），不超过下单时规则的补发时限")
    note: str = Field("", max_length=1000)


class CaseOfferRejectIn(Schema):
    note: str = Field("", max_length=500, description="拒绝理由（可选）")


class CaseAppealIn(Schema):
    statement: str = Field(description="申诉理由，至少10个字")


class CaseFulfilIn(Schema):
    note: str = Field("", max_length=1000, description="手动服务：重新完成服务的说明（必填）；卡密订单从库存补发，可不填")


class CaseAssignIn(Schema):
    assignee_id: Optional[int] = Field(None, description="客服或仲裁员的用户 id；不填为指派给自己")


class CaseEvidenceRequestIn(Schema):
    party: Side = Field(description="向 buyer 买家 / merchant 商家调取证据")
    text: str = Field(max_length=1000, description="需要提交的证据，至少5个字")
    hours: Optional[int] = Field(None, description="举证期限（小时，1到168），默认按工单类型的规则")


class CaseDecideIn(Schema):
    remedy: Remedy = Field(description="full_refund / partial_refund / replacement / rejected（咨询与投诉只能 rejected）")
    fault: Fault = Field(description="责任方：merchant / buyer / none")
    reasons: str = Field(description="裁决理由，至少10个字")
    clauses: list[int] = Field(default_factory=list, max_length=50, description="引用的下单时冻结的退款规则条款编号（涉及退款的工单必填）")
    evidence: list[int] = Field(default_factory=list, max_length=200, description="引用的证据编号（消息的 no：#1、#2 …）")
    amount: Optional[int] = Field(None, description="partial_refund：金额（分）")
    hours: Optional[int] = Field(None, description="replacement：补发时限（小时）")


class CaseResolveIn(Schema):
    note: str = Field(description="处理结果（至少5个字），作为平台消息发给双方")


# Outputs -----------------------------------------------------------------------------------


class CaseStepOut(Schema):
    name: str = Field(description="submitted / merchant / platform / decided / done")
    label: str
    state: Literal["done", "current", "todo"]


class CaseProgressOut(Schema):
    steps: list[CaseStepOut]
    awaiting: str = Field(description="现在等待谁：buyer / merchant / staff / system；已结案为空")
    deadline_at: Optional[dt.datetime] = Field(description="当前期限")
    seconds: Optional[int] = Field(description="距期限的秒数（倒计时）")
    default_outcome: str = Field(description="期限到时的默认结果，如「商家逾期未回复，工单自动转平台介入」")
    waiting_text: str


class CaseAttachmentOut(Schema):
    id: int
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="GET 下载（与消息同样的权限）")


class CaseMessageOut(Schema):
    id: int
    no: Optional[int] = Field(description="证据编号（#n），双方可见的消息按时间编号")
    case_no: Optional[str] = Field(description="所属工单；工单之前的订单沟通为空")
    party: str = Field(description="buyer / merchant / staff（平台）")
    body: str
    lure: bool = Field(description="疑似引导站外交易：双方都会看到提醒")
    created_at: dt.datetime
    attachments: list[CaseAttachmentOut]


class CaseStaffMessageOut(CaseMessageOut):
    internal: bool = Field(description="内部备注：买家和商家永远看不到")
    author: Optional[str]


class CaseEventOut(Schema):
    kind: str
    party: str
    note: str
    at: dt.datetime


class CaseStaffEventOut(CaseEventOut):
    staff_only: bool
    actor: Optional[str]
    data: dict


class CaseOfferOut(Schema):
    id: int
    remedy: str
    amount: int = Field(description="分")
    replace_hours: Optional[int]
    note: str
    status: OfferStatus
    answer_by: dt.datetime = Field(description="买家须在此前答复，逾期视为接受")
    created_at: dt.datetime
    answered_at: Optional[dt.datetime]


class CaseEvidenceRequestOut(Schema):
    id: int
    party: str
    text: str
    status: EvidenceRequestStatus
    due_at: dt.datetime
    created_at: dt.datetime
    answered_at: Optional[dt.datetime]


class CaseDecisionOut(Schema):
    id: int
    appeal: bool = Field(description="申诉复核的终局裁决")
    remedy: Remedy
    amount: int = Field(description="分")
    replace_hours: Optional[int]
    fault: Fault
    reasons: str
    clauses: list[int]
    evidence: list[int]
    effective_at: dt.datetime = Field(description="申诉期结束、裁决生效的时间")
    created_at: dt.datetime


class CaseStaffDecisionOut(CaseDecisionOut):
    arbitrator: str


class CaseAppealRightsOut(Schema):
    buyer: bool
    merchant: bool


class CaseOfferRemedyOut(Schema):
    remedy: OfferRemedy
    allowed: bool
    why: str = Field(description="不允许时引用的条款")


class CaseSummaryOut(Schema):
    case_no: str
    order_no: str
    kind: CaseKind
    status: CaseStatus
    priority: Priority
    remedy_claimed: str
    amount_claimed: int = Field(description="分")
    amount_refunded: int = Field(description="分，工单已退款的金额")
    outcome: Optional[Outcome]
    fault: Optional[Fault]
    awaiting: str
    deadline_at: Optional[dt.datetime]
    opened_at: dt.datetime
    closed_at: Optional[dt.datetime]
    refund_request_no: Optional[str] = Field(description="申请平台介入的退款申请")


class CaseOut(CaseSummaryOut):
    role: str = Field(description="您在该订单中的身份：buyer / merchant（平台工作人员以网页登录读取时为 staff，看到的与双方相同）")
    statement: str
    key_ids: list[int]
    progress: CaseProgressOut
    may_ask_platform_at: Optional[dt.datetime] = Field(description="买家可申请平台介入的时间（等待商家回复时：商家回复期限之后）")
    open_offer_id: Optional[int]
    offers: list[CaseOfferOut]
    offer_remedies: list[CaseOfferRemedyOut] = Field(description="商家：按下单时冻结的规则现在可提出的方案；买家为空")
    evidence_requests: list[CaseEvidenceRequestOut]
    decisions: list[CaseDecisionOut]
    appeal_rights: CaseAppealRightsOut
    events: list[CaseEventOut]


class StaffCaseQueueItemOut(CaseSummaryOut):
    shop: str
    assignee: Optional[str]
    platform_since: Optional[dt.datetime]
    next_due: Optional[dt.datetime] = Field(description="最近的平台服务时限（SLA）")


class CaseSlaClockOut(Schema):
    target: str = Field(description="first_response / resolution / appeal")
    minutes: int
    started_at: dt.datetime
    due_at: Optional[dt.datetime]
    paused_since: Optional[dt.datetime]
    remaining_seconds: Optional[int]
    met_at: Optional[dt.datetime]
    breached_at: Optional[dt.datetime]


class StaffCaseOut(CaseSummaryOut):
    shop: str
    statement: str
    key_ids: list[int]
    assignee: Optional[str]
    arbitrator: Optional[str]
    platform_since: Optional[dt.datetime]
    merchant_first_response_at: Optional[dt.datetime]
    staff_first_response_at: Optional[dt.datetime]
    progress: CaseProgressOut
    offers: list[CaseOfferOut]
    evidence_requests: list[CaseEvidenceRequestOut]
    decisions: list[CaseStaffDecisionOut]
    appeal_rights: CaseAppealRightsOut
    events: list[CaseStaffEventOut] = Field(description="全部事件，含仅平台可见的（指派、SLA 超时）")
    notes: list[CaseStaffMessageOut] = Field(description="内部备注")
    sla_clocks: list[CaseSlaClockOut]


class CaseSlaRowOut(Schema):
    target: str
    kind: str
    total: int
    met: int
    share: Optional[float] = Field(description="达成比例（%）")


class CaseSlaReportOut(Schema):
    days: int
    rows: list[CaseSlaRowOut]


class CaseDraftOut(Schema):
    kind: CaseKind
    remedy: str
    statement: str = Field(description="按订单事实和适用的冻结条款起草的说明，买家修改后提交")
