from kadun.core.errors import DomainError, InvalidTransition, NotFound, Forbidden


class CaseNotFound(NotFound):
    code = "case_not_found"
    message = "售后工单不存在，或您无权查看。"


class CaseAlreadyOpen(DomainError):
    code = "case_open"
    status = 409
    message = "该订单已有处理中的售后工单，请在工单中继续沟通。"


class CaseClosed(InvalidTransition):
    code = "case_state"
    message = "售后工单当前阶段不能进行此操作。"


class InvalidCaseInput(DomainError):
    code = "invalid_case_input"
    message = "售后工单信息有误。"


class CaseNotAllowed(Forbidden):
    code = "case_forbidden"
    message = "您无权进行此操作。"


class TooEarly(DomainError):
    code = "escalation_too_early"
    status = 409
    message = "商家回复期限未到，暂不能申请平台介入。"


class SameArbitrator(Forbidden):
    code = "same_arbitrator"
    message = "申诉须由另一位仲裁员复核，原裁决人不能处理。"
