from kadun.core.errors import DomainError, InvalidTransition, NotFound


class RequestNotFound(NotFound):
    code = "refund_request_not_found"
    message = "退款申请不存在，或您无权查看。"


class RequestAlreadyOpen(DomainError):
    code = "refund_request_open"
    status = 409
    message = "该订单已有处理中的退款申请。"


class RequestClosed(InvalidTransition):
    code = "refund_request_closed"
    message = "该退款申请已处理完毕，不能再操作。"


class InvalidEvidence(DomainError):
    code = "invalid_evidence"
    message = "证据图片需为 PNG、JPEG、GIF 或 WebP 格式，每张不超过 5 MB，最多 5 张。"


class InvalidRefundInput(DomainError):
    code = "invalid_refund_input"
    message = "退款申请信息有误。"


class ActionNotAllowed(DomainError):
    """A merchant answer the order's frozen refund rules do not allow (``engine.merchant_answers``);
    the message cites the clause: 「依据退款规则第N条：…」."""

    code = "action_not_allowed"
    message = "下单时的退款规则不允许这种处理方式。"


class EvidenceRequired(DomainError):
    code = "evidence_required"
    message = "卡密已查看，申请「卡密无效/已被使用」需要上传截图等证据（按下单时的退款规则）。请上传证据后再提交。"


class EvidenceQuotaExceeded(DomainError):
    code = "evidence_quota"
    status = 413
    message = "该订单的证据图片总量已达上限，请删减图片后再提交。"


class RequestLimitReached(DomainError):
    code = "refund_request_limit"
    status = 409
    message = "该订单的退款申请次数已达上限。如仍有争议，请联系平台客服。"


class EscalateInstead(DomainError):
    """A second request on keys whose request the merchant rejected (or approved in part) is not a
    fresh request that restarts the merchant's clock: it is the case (申请平台介入)."""

    code = "refund_request_answered"
    status = 409
    message = "商家已就这些卡密的退款申请作出答复（拒绝或部分退款）。重复申请不会重新计时，请在该申请上「申请平台介入」，由平台裁决。"


class CaseOpenOnOrder(DomainError):
    code = "case_open"
    status = 409
    message = "该订单已有处理中的售后工单，请在工单中继续沟通。"
