"""Errors of 资质审核 and badges: stable codes, HTTP status, Chinese messages."""
from kadun.core.errors import DomainError, Forbidden, InvalidInput, InvalidTransition, NotFound


class ShopNotVerified(DomainError):
    code = "shop_not_verified"
    status = 403
    message = "该店铺尚未通过平台资质审核，暂不能销售。"


class CategoryNotApproved(DomainError):
    code = "category_not_approved"
    status = 403
    message = "该店铺尚未通过此类目的经营资质审核。"


class ApplicationPending(InvalidTransition):
    code = "application_pending"
    message = "您已有一份资质申请正在审核中，请等待审核结果。"


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    message = "申请不存在。"


class ApplicationDecided(InvalidTransition):
    code = "application_decided"
    message = "该申请已审核，不能重复处理。"


class RulesChanged(DomainError):
    code = "rules_changed"
    status = 409
    message = "平台规则已更新，请阅读新版规则后重新提交。"


class RulesNotAccepted(InvalidInput):
    code = "rules_not_accepted"
    message = "请阅读并同意平台商家规则。"


class InvalidApplication(InvalidInput):
    code = "invalid_application"
    message = "申请信息不完整。"


class NotRiskStaff(Forbidden):
    code = "not_risk_staff"
    message = "只有风控或管理员可以审核商家资质。"


class NotAdmin(Forbidden):
    code = "not_admin"
    message = "只有平台管理员可以授予或撤销「官方直营」。"


class AuthorisationNotFound(NotFound):
    code = "authorisation_not_found"
    message = "授权记录不存在，或已撤销。"
