from kadun.core.errors import DomainError


class AlertAssignedElsewhere(DomainError):
    code = "risk_alert_assigned"
    status = 409
    message = "该预警已由其他风控人员认领。"


class InvalidResolution(DomainError):
    code = "risk_alert_invalid_resolution"
    status = 422
    message = "请选择处理结论（确认欺诈、误报、已处置或重复预警）。"
