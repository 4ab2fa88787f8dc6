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
