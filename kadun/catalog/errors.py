from kadun.core.errors import DomainError, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "商品不存在或已下架。"


class InvalidProduct(DomainError):
    code = "invalid_product"
    message = "商品信息有误。"
