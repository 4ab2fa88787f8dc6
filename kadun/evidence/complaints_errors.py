"""Errors of the public complaint board: stable codes, HTTP statuses, Chinese messages."""
from kadun.core.errors import DomainError, Forbidden, InvalidTransition, NotFound


class ComplaintNotFound(NotFound):
    code = "complaint_not_found"
    message = "曝光不存在，或您无权查看。"


class NotEligible(DomainError):
    code = "complaint_not_eligible"
    status = 409
    message = "该订单尚无平台裁决、商家违约或平台超时记录，暂不能公开曝光。"


class ComplaintExists(DomainError):
    code = "complaint_exists"
    status = 409
    message = "每个订单只能发布一次曝光。"


class NotTheBuyer(Forbidden):
    code = "not_the_buyer"
    message = "只有该订单的买家可以发布或撤回曝光。"


class ComplaintState(InvalidTransition):
    code = "complaint_state"
    message = "曝光当前状态下不能进行此操作。"


class InvalidComplaintInput(DomainError):
    code = "invalid_complaint_input"
    status = 400
    message = "曝光内容有误。"


class ModerationNotAllowed(Forbidden):
    code = "moderation_forbidden"
    message = "只有客服或风控人员可以审核曝光。"


class InvalidModeration(DomainError):
    """A rejection or redaction without one of the published reasons, or without a note."""

    code = "invalid_moderation"
    status = 400
    message = "只能因含个人信息、辱骂或与订单无关而驳回或隐藏内容，且须写明说明；不能因内容对商家不利而驳回。"


class ReplyExists(DomainError):
    code = "reply_exists"
    status = 409
    message = "商家只能回复一次。"


class NotTheMerchant(Forbidden):
    code = "not_the_merchant"
    message = "只有被曝光店铺的商家可以回复。"
