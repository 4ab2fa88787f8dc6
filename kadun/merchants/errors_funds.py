from kadun.core.errors import DomainError, InvalidInput, NotFound


class DepositShort(DomainError):
    code = "deposit_short"
    status = 409
    message = "该店铺保证金不足，暂停接受新订单，请稍后再试或选择其他店铺。"


class DepositLocked(DomainError):
    code = "deposit_locked"
    status = 409
    message = "保证金暂不能退还。"


class BadPayoutAccount(InvalidInput):
    code = "bad_payout_account"
    message = "收款账户信息有误。"


class IdentityMismatch(DomainError):
    code = "identity_mismatch"
    status = 409
    message = "收款人姓名与店铺实名认证不一致。"


class NoPayoutAccount(DomainError):
    code = "no_payout_account"
    status = 409
    message = "请先添加与实名认证一致的收款账户。"


class WithdrawalRefused(DomainError):
    code = "withdrawal_refused"
    status = 409
    message = "暂时无法提现。"


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"
    message = "提现单不存在。"


class PayoutAccountNotFound(NotFound):
    code = "payout_account_not_found"
    message = "收款账户不存在。"
