"""API shapes for refunds: refund requests, the frozen and current refund rules, 验货, and the
merchant's answers. Money is an integer number of 分.

Every party of an order (buyer, merchant, staff) sees the same refund request (``RefundRequestOut``
is built straight from the row): the buyer's reason
and statement, the engine's decision with the clauses it cited, the timeline, and the evidence
images' metadata (never the Idempotency-Key the buyer sent, never a card key).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from ninja import Field, Schema

from kadun.aftersales.states import MerchantAction, Outcome, Reason, RequestStatus
from kadun.catalog.policies import DEFECT_REMEDIES

Destination = Literal["source", "wallet"]


# Refund rules ------------------------------------------------------------------------------


class ClauseOut(Schema):
    no: int = Field(description="条款编号（第N条）")
    id: str = Field(description="条款标识，如 unrevealed、defect")
    text: str


class PolicyOut(Schema):
    """A product's current refund rules."""

    product_id: int
    policy_version: int
    rules: dict
    clauses: list[ClauseOut]
    text: str


class OrderPolicyOut(Schema):
    """The rules frozen onto an order at purchase, and whether they still match their hash."""

    order_no: str
    policy_version: int
    rules: dict
    clauses: list[ClauseOut]
    text: str
    hash: str = Field(description="下单时规则快照的 SHA-256")
    hash_verified: bool = Field(description="快照与 SHA-256 一致（未被改动）")


class Milestone(Schema):
    name: str = Field(max_length=30)
    refundable_bps: int = Field(description="完成该节点后仍可退的比例，万分比")


class PolicyIn(Schema):
    """The whole rule set (PUT): a field left out takes the platform default. Checked against the
    platform baseline; a rule that weakens it is 400 ``invalid_refund_policy``."""

    refund_window_hours: int = Field(None, description="退款申请期限（小时），至少24")
    unrevealed_refund: bool = Field(None, description="未查看卡密即时退款：平台底线，只能为 true")
    defect_remedy: Literal[tuple(DEFECT_REMEDIES)] = Field(None, description="卡密无效时：refund / replace / refund_or_replace")  # type: ignore[valid-type]
    defect_evidence_required: bool = Field(None, description="卡密查看后申请无效退款是否需要截图证据")
    no_reason_7days: bool = Field(None, description="是否支持七天无理由退款")
    merchant_response_hours: int = Field(None, description="商家响应时限（小时），1到72")
    replacement_hours: int = Field(None, description="补发承诺时限（小时），1到72")
    delivery_deadline_hours: int = Field(None, description="手动服务：服务完成期限（小时）")
    milestones: list[Milestone] = Field(None, max_length=10, description="手动服务：进度节点与可退比例（逐步递减）")


class CheckerIn(Schema):
    kind: Literal["none", "format", "http"]
    pattern: str = Field("", max_length=300, description="format：卡密需完整匹配的正则表达式（RE2 语法：不支持反向引用和环视）")
    url: str = Field("", max_length=300, description="http：验货接口地址（http/https，不含用户名密码，不能是内网地址）")
    secret: str = Field("", max_length=200, description="http：签名密钥（至少16个字符；只写入，不会返回）")


class CheckerOut(Schema):
    product_id: int
    kind: str
    pattern: Optional[str] = None
    url: Optional[str] = None
    secret_set: bool = Field(False, description="已设置签名密钥（密钥本身从不返回）")


# Refund requests ---------------------------------------------------------------------------


class RefundRequestIn(Schema):
    """Body of a refund request as JSON. As multipart/form-data the same fields are form fields
    (``key_ids`` repeated, or comma-separated) plus ``images`` files."""

    reason: Reason
    statement: str = Field("", max_length=2000)
    key_ids: list[int] = Field(default_factory=list, max_length=1000, description="申请退款的卡密 id；卡密订单必填")
    destination: Destination = Field("source", description="source 原路退回；wallet 平台余额（仅登录买家）")


class RefundEventOut(Schema):
    kind: str
    actor: str
    note: str
    at: dt.datetime


class EvidenceOut(Schema):
    id: int
    party: str = Field(description="buyer / merchant")
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class RefundRequestOut(Schema):
    request_no: str
    order_no: str
    status: RequestStatus
    outcome: Outcome = Field(description="系统按下单时的退款规则作出的判定")
    amount_requested: int = Field(description="分")
    amount_refunded: int = Field(description="分")
    clauses: list[int] = Field(description="判定引用的条款编号")
    explanation: str
    respond_by: Optional[dt.datetime] = Field(description="商家须在此前回应，逾期系统全额退款")
    replace_by: Optional[dt.datetime] = Field(description="商家承诺在此前补发，逾期系统全额退款")
    reason: Reason
    statement: str
    key_ids: list[int]
    destination: Destination
    created_at: dt.datetime
    resolved_at: Optional[dt.datetime]
    events: list[RefundEventOut]
    evidence: list[EvidenceOut]
    allowed_actions: list[MerchantAction] = Field(
        description="商家现在可选的处理方式（按下单时冻结的退款规则，见 docs/refunds.md）；不在等待商家处理时为空。其他处理方式为 400 action_not_allowed"
    )

    # Built from a RefundRequest row (already authorised); prefetch events and evidence for lists.
    @staticmethod
    def resolve_order_no(obj) -> str:
        return obj.order.order_no

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())

    @staticmethod
    def resolve_evidence(obj) -> list:
        return sorted(obj.evidence.all(), key=lambda e: e.pk)

    @staticmethod
    def resolve_allowed_actions(obj) -> list:
        from kadun.aftersales.selectors import merchant_answers_of

        answers = merchant_answers_of(obj)
        return list(answers.actions) if answers else []


class RespondIn(Schema):
    action: MerchantAction = Field(description="须是该申请 allowed_actions 中的一项（按下单时的退款规则），否则 400 action_not_allowed")
    amount: int = Field(None, description="partial：部分退款金额（分），需大于0且小于申请金额")
    hours: int = Field(None, description="promise：补发时限（小时），不超过下单时规则的补发时限")
    note: str = Field("", max_length=1000, description="reject 时必填（至少5个字）")


class VerifyOut(Schema):
    key_id: int
    result: str = Field(description="valid / used / invalid / error")
    checker: str = Field(description="format / http")
    checked_at: dt.datetime
    before_first_reveal: bool = Field(description="验货时买家尚未查看过该卡密")


def policy_out(product_id: int, version: int, rules: dict, *, delivery: str) -> dict:
    """A version of a product's rules with its numbered clauses and text."""
    from kadun.catalog import policies

    return {
        "product_id": product_id,
        "policy_version": version,
        "rules": rules,
        "clauses": [{"no": c.no, "id": c.id, "text": c.text} for c in policies.clauses(rules, delivery=delivery)],
        "text": policies.render_text(rules, delivery=delivery),
    }


def checker_out(product) -> dict:
    config = product.checker or {"kind": "none"}
    return {
        "product_id": product.pk,
        "kind": config.get("kind", "none"),
        "pattern": config.get("pattern"),
        "url": config.get("url"),
        "secret_set": bool(config.get("secret")),
    }
