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
