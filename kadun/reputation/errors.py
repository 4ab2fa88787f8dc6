from kadun.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound


class UnknownComponent(InvalidInput):
    code = "unknown_component"
    message = "信用分项目不存在。"


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = "请填写理由。"


class ContestNotOpen(InvalidTransition):
    code = "contest_not_open"
    message = "该申诉已处理。"


class ContestNotFound(NotFound):
    code = "contest_not_found"
    message = "申诉不存在。"


class NotCreditStaff(Forbidden):
    code = "not_credit_staff"
    message = "只有风控或管理员可以处理信用分申诉。"


class ShopNotFound(NotFound):
    code = "shop_not_found"
    message = "店铺不存在。"


class OrderAmountLimited(InvalidInput):
    code = "order_amount_limited"
    status = 403
    message = "该店铺信用分较低，单笔订单金额受限。"


class NewProductsRestricted(InvalidInput):
    code = "credit_no_new_products"
    status = 403
    message = "店铺信用分低于发布新商品的门槛，暂不能发布新商品。"
