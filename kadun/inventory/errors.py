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


class ImportsPaused(DomainError):
    code = "imports_paused"
    status = 403
    message = "本店的卡密导入已暂停，等待平台风控审核。审核完成后即可继续导入；如有疑问请联系平台客服。"
