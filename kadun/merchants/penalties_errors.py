from kadun.core.errors import DomainError, Forbidden, InvalidInput, InvalidTransition, NotFound


class ShopBanned(DomainError):
    code = "shop_banned"
    status = 403
    message = "该店铺因严重违规已被封号，暂停交易。"


class WithdrawalsFrozenBan(DomainError):
    code = "withdrawals_frozen_ban"
    status = 403
    message = "店铺已被封号：在所有订单售后期与工单结束前冻结提现，届时余款扣除赔付后结算给您。"


class PenaltyNotFound(NotFound):
    code = "penalty_not_found"
    message = "处罚记录不存在。"


class PenaltyNotPending(InvalidTransition):
    code = "penalty_not_pending"
    message = "该处罚已处理，不能重复操作。"


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = "请填写理由。"


class UnknownViolation(InvalidInput):
    code = "unknown_violation"
    message = "违规类型不存在。"


class AppealClosed(InvalidTransition):
    code = "appeal_closed"
    message = "已超过申诉期限，或该处罚不能申诉。"


class AppealExists(InvalidTransition):
    code = "appeal_exists"
    message = "该处罚已提交过申诉。"


class AppealSameStaff(Forbidden):
    code = "appeal_same_staff"
    message = "申诉须由未参与原处罚决定的工作人员处理。"


class AppealNotOpen(InvalidTransition):
    code = "appeal_not_open"
    message = "该申诉已处理。"


class NotPenaltyStaff(Forbidden):
    code = "not_penalty_staff"
    message = "只有风控或管理员可以处理处罚。"
