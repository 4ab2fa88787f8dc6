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


# --- 评价 (reviews) ---------------------------------------------------------------------------


class NotReviewable(InvalidTransition):
    code = "order_not_reviewable"
    message = "确认收货后（或发货后退款的订单）才能评价。"


class NotTheBuyer(Forbidden):
    code = "not_the_buyer"
    message = "只有该订单的买家可以评价。"


class AlreadyReviewed(InvalidTransition):
    code = "already_reviewed"
    message = "每个订单只能评价一次，可以追评一次。"


class InvalidReview(InvalidInput):
    code = "invalid_review"
    status = 422
    message = "评价内容有误：星级为 1–5，文字不超过限制且不含控制字符。"


class InvalidReviewImage(InvalidInput):
    code = "invalid_review_image"
    status = 422
    message = "图片格式不支持（仅 PNG/JPEG/GIF/WebP）或超过大小限制。"


class ReviewNotFound(NotFound):
    code = "review_not_found"
    message = "评价不存在。"


class FollowupClosed(InvalidTransition):
    code = "followup_closed"
    message = "追评只能发表一次，且须在评价后规定天数内。"


class AlreadyReplied(InvalidTransition):
    code = "already_replied"
    message = "商家对评价和追评各只能回复一次。"


class NotTheMerchant(Forbidden):
    code = "not_the_merchant"
    message = "只有该店铺的商家可以回复评价。"


class NotReviewStaff(Forbidden):
    code = "not_review_staff"
    message = "只有风控、客服或管理员可以隐藏评价。"


class UnknownHideReason(InvalidInput):
    code = "unknown_hide_reason"
    status = 422
    message = "请选择隐藏理由。"


class HideStateUnchanged(InvalidTransition):
    code = "hide_state_unchanged"
    message = "该评价已是此状态。"
