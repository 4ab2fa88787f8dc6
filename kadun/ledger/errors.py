from kadun.core.errors import DomainError


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 409
    message = "账户余额不足。"


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    status = 500
    message = "记账分录借贷不平。"
