from kadun.core.errors import DomainError, Forbidden, NotFound


class AlertNotFound(NotFound):
    code = "risk_alert_not_found"
    message = "风控预警不存在。"


class AlertAlreadyResolved(DomainError):
    code = "risk_alert_resolved"
    status = 409
    message = "该预警已处理。"


class NotRiskStaff(Forbidden):
    code = "not_risk_staff"
    message = "只有风控或管理员可以处理风控预警。"


class LureFlagNotFound(NotFound):
    code = "lure_flag_not_found"
    message = "站外引流记录不存在。"


class LureFlagReviewed(DomainError):
    code = "lure_flag_reviewed"
    status = 409
    message = "该记录已审核。"


class ShopFrozen(DomainError):
    code = "shop_frozen"
    status = 403
    message = "店铺已被平台风控冻结，暂停销售。"


class WithdrawalFrozen(DomainError):
    code = "shop_frozen_withdrawal"
    status = 403
    message = "店铺已被平台风控冻结，暂停提现。"


class FreezeNotFound(NotFound):
    code = "shop_freeze_not_found"
    message = "该店铺当前未被冻结。"


class AlreadyFrozen(DomainError):
    code = "shop_already_frozen"
    status = 409
    message = "该店铺已被冻结。"


class DisposalDeclared(DomainError):
    code = "runaway_disposal_declared"
    status = 409
    message = "该店铺已进入跑路处置，不能解冻或重复处置。"


class ReasonRequired(DomainError):
    code = "risk_reason_required"
    status = 400
    message = "请填写原因。"


class ConfirmRequired(DomainError):
    code = "runaway_confirm_required"
    status = 400
    message = "请确认跑路处置：输入店铺名称以确认。"
