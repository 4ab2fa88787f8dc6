from kadun.core.errors import DomainError, Forbidden


class NotAMerchant(Forbidden):
    code = "not_a_merchant"
    message = "您还没有开通店铺。"


class ShopExists(DomainError):
    code = "shop_exists"
    status = 409
    message = "您已经开通了店铺。"


class ShopNameTaken(DomainError):
    code = "shop_name_taken"
    status = 409
    message = "店铺名称已被使用。"
