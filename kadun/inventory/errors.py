from kadun.core.errors import DomainError, NotFound


class KeyNotFound(NotFound):
    code = "key_not_found"
    message = "卡密不存在，或您无权查看。"


class NotAKeyProduct(DomainError):
    code = "not_a_key_product"
    message = "手动服务类商品不需要导入卡密。"


class ImportTooLarge(DomainError):
    code = "import_too_large"
    status = 413
    message = "一次最多导入 100000 条卡密。"
