"""The errors each case endpoint answers, by stable code, for its OpenAPI entry.

Every error is ``{"code", "message"}`` (422 adds ``errors``). ``Errors(...)`` groups an
endpoint's codes by HTTP status: ``.responses`` goes into the route's ``response=`` (the
shared error schemas of ``kadun.core.api_errors``), and ``.openapi`` into its ``openapi_extra``:
each status's description lists its codes, and ``x-error-codes`` lists them for machines.
``tests/security`` and ``cases/tests/test_api.py`` check that every error an endpoint actually
answered is listed here.
"""
from __future__ import annotations

from dataclasses import dataclass

from kadun.core.api_errors import errors

E = tuple[int, str, str]  # (status, code, when)

# Who is calling ----------------------------------------------------------------------------
INVALID_KEY: E = (401, "invalid_api_key", "API 密钥无效或已被撤销")
UNAUTHORIZED: E = (401, "unauthorized", "需要登录或 API 密钥")
KEY_SCOPE: E = (403, "api_key_scope", "API 密钥没有该接口所需的权限（buyer / merchant，GET 可用 :read）")
CSRF: E = (403, "csrf_failed", "网页登录状态下的写操作缺少 CSRF 令牌")
NOT_A_MERCHANT: E = (403, "not_a_merchant", "调用方没有店铺")
SESSION_REQUIRED: E = (403, "session_required", "平台接口只接受网页登录状态，不接受 API 密钥")
STAFF_ONLY: E = (403, "staff_only", "仅平台工作人员")
OWN_CASE: E = (403, "own_case", "您是该订单的买家或商家，不能以平台身份查看或处理")
NOT_THE_BUYER: E = (403, "not_the_buyer", "只有买家可以进行此操作")
CASE_FORBIDDEN: E = (403, "case_forbidden", "当前身份不能进行此操作（如风控角色、或商家在等待商家回复阶段申请介入）")
INPUT: E = (422, "invalid_input", "输入格式有误（字段类型、取值范围、Idempotency-Key 超过64字符，或 JSON 无法解析）")

# What is asked for -------------------------------------------------------------------------
ORDER_NOT_FOUND: E = (404, "order_not_found", "订单不存在，或您无权查看")
CASE_NOT_FOUND: E = (404, "case_not_found", "工单不存在，或您无权查看")
REQUEST_NOT_FOUND: E = (404, "refund_request_not_found", "退款申请不存在，或您无权查看")

# The thread and its pictures ---------------------------------------------------------------
IMAGES: tuple[E, ...] = (
    (400, "invalid_evidence", "图片需为 PNG/JPEG/GIF/WebP（按内容识别），每张不超过 5 MB，最多5张"),
    (413, "evidence_quota", "该订单上本方的附件总量已达上限"),
    (413, "request_too_large", "上传内容过大"),
)
MESSAGE: tuple[E, ...] = (
    (400, "message_empty", "消息内容不能为空（无图片时）"),
    (400, "message_too_long", "消息超过4000字"),
    (400, "message_invalid", "消息包含无效字符"),
    (429, "rate_limited", "发送过于频繁（每人每小时上限）"),
    *IMAGES,
)

# Opening a case ----------------------------------------------------------------------------
STATEMENT: tuple[E, ...] = (
    (400, "statement_required", "说明至少5个字"),
    (400, "statement_too_long", "说明超过4000字"),
)
OPEN: tuple[E, ...] = (
    *STATEMENT,
    (400, "order_not_eligible", "订单尚未支付或已关闭"),
    (400, "order_refunded", "订单已全额退款（只能投诉商家）"),
    (400, "case_window_over", "确认收货已超过可发起售后的天数"),
    (400, "invalid_amount", "部分退款的申请金额无效"),
    (400, "invalid_keys", "所选卡密不属于该订单"),
    (409, "case_open", "该订单已有处理中的售后工单"),
    (409, "refund_request_open", "该订单有处理中的退款申请（涉及退款的工单须等商家处理或撤回申请）"),
)

# Stages ------------------------------------------------------------------------------------
CASE_STATE: E = (409, "case_state", "工单当前阶段不能进行此操作")
OFFER_CLOSED: E = (409, "offer_closed", "该方案已失效或已答复")
# Carrying out a remedy goes through the order's refund and the keys: the guards there may refuse.
REMEDY: tuple[E, ...] = (
    (409, "not_refundable", "订单当前状态不能按此规则退款"),
    (409, "refund_exceeds_payment", "累计退款不能超过实付金额"),
    (409, "key_already_withdrawn", "卡密已作废或已补发"),
)
REMEDY_INPUT: tuple[E, ...] = (
    (400, "invalid_amount", "部分退款金额需大于0且小于诉求金额"),
    (400, "invalid_hours", "补发时限需在1小时到下单时规则的补发时限之间"),
    (400, "nothing_to_refund", "订单已无可退金额"),
    (400, "nothing_to_replace", "没有可补发的卡密"),
)
DECISION_INPUT: tuple[E, ...] = (
    (400, "reasons_required", "裁决理由至少10个字"),
    (400, "clauses_required", "涉及退款的工单须引用冻结的退款规则条款"),
    (400, "invalid_citation", "引用的条款不在冻结的规则中，或证据编号不在本工单中"),
    (400, "invalid_remedy", "咨询与投诉工单只能驳回"),
    *REMEDY_INPUT,
    (403, "decide_forbidden", "只有仲裁员可以裁决"),
    CASE_STATE,
    *REMEDY,
)

# Idempotency-Key ---------------------------------------------------------------------------
IDEMPOTENCY_BUSY: E = (409, "idempotency_key_in_use", "相同 Idempotency-Key 的请求正在处理")

# Who may call ------------------------------------------------------------------------------
ORDER_CALLER = (INVALID_KEY, KEY_SCOPE, CSRF)  # buyer key, session, X-Order-Token or nothing: never 401 for no credentials
PARTY_CALLER = ORDER_CALLER
BUYER_CALLER = (UNAUTHORIZED, INVALID_KEY, KEY_SCOPE, CSRF)
MERCHANT_CALLER = (UNAUTHORIZED, INVALID_KEY, KEY_SCOPE, CSRF, NOT_A_MERCHANT)
STAFF_CALLER = (UNAUTHORIZED, SESSION_REQUIRED, CSRF, STAFF_ONLY)


@dataclass(frozen=True)
class Errors:
    entries: tuple[E, ...]

    @classmethod
    def of(cls, *groups) -> "Errors":
        flat: list[E] = []
        for group in groups:
            for entry in (group,) if isinstance(group[0], int) else group:
                if entry not in flat:
                    flat.append(entry)
        return cls(tuple(flat))

    def codes(self, status: int) -> list[str]:
        return sorted({code for s, code, _ in self.entries if s == status})

    @property
    def statuses(self) -> list[int]:
        return sorted({s for s, _, _ in self.entries})

    @property
    def responses(self) -> dict:
        return errors(*self.statuses)

    @property
    def openapi(self) -> dict:
        out = {}
        for status in self.statuses:
            lines = [f"`{code}`：{when}" for s, code, when in self.entries if s == status]
            out[status] = {"description": "；".join(lines), "x-error-codes": self.codes(status)}
        return {"responses": out}
