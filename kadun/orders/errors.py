from kadun.core.errors import DomainError, InvalidTransition, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "订单不存在，或您无权查看。"


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409
    message = "库存不足。"


class InvalidQuantity(DomainError):
    code = "invalid_quantity"
    message = "购买数量不正确。"


class ContactRequired(DomainError):
    code = "contact_required"
    message = "游客下单需填写联系方式（邮箱、QQ 或手机号）和查询密码（至少6位）。"


class MissingBuyerInput(DomainError):
    code = "missing_buyer_input"
    message = "请填写商家要求的下单信息。"


class NotConfirmable(InvalidTransition):
    code = "not_confirmable"
    message = "只有已发货的订单可以确认收货。"


class NotDeliverable(InvalidTransition):
    code = "not_deliverable"
    message = "该订单当前不能发货。"


class NotAcceptable(InvalidTransition):
    code = "not_acceptable"
    message = "该订单当前不能接单。"


class InvalidImage(DomainError):
    code = "invalid_image"
    message = "图片需为 PNG、JPEG、GIF 或 WebP 格式，且不超过 5 MB。"


class RefundTooLarge(DomainError):
    code = "refund_exceeds_payment"
    status = 409
    message = "累计退款不能超过实付金额。"


class NoReasonConfirmationRequired(DomainError):
    code = "no_reason_confirmation_required"
    message = "本商品不适用七天无理由退货，下单前须逐单确认（勾选确认框；API 请传 confirm_no_reason_exclusion=true）。"


class LowPriceConfirmationRequired(DomainError):
    code = "low_price_confirmation_required"
    message = "本商品售价远低于市场参考价（超低价），下单前须勾选确认已知悉风险（API 请传 confirm_low_price=true）。"
