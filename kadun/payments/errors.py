from kadun.core.errors import DomainError, NotFound


class BadNotification(DomainError):
    """A payment notification we refuse. ``code`` says why; nothing was changed."""

    code = "bad_notification"
    status = 400
    message = "支付通知校验失败。"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "支付单不存在。"


class UnknownProvider(DomainError):
    code = "unknown_provider"
    status = 404
    message = "不支持的支付方式。"


class WalletInsufficient(DomainError):
    code = "wallet_insufficient"
    status = 409
    message = "平台余额不足，请选择其他支付方式。"
