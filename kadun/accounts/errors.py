from kadun.core.errors import DomainError


class ApiKeyNotFound(DomainError):
    code = "api_key_not_found"
    status = 404
    message = "API 密钥不存在。"


class ApiKeyScopeMissing(DomainError):
    """A valid key used on an endpoint its scopes don't cover."""

    code = "api_key_scope"
    status = 403
    message = "此 API 密钥没有调用该接口的权限（请在「API 密钥」页面创建具有相应权限的密钥）。"


class InvalidScopes(DomainError):
    code = "invalid_scopes"
    status = 422
    message = "请至少选择一项有效的 API 密钥权限。"


class AccountNotClosable(DomainError):
    code = "account_not_closable"
    status = 409
    message = "该账户暂时不能注销。"
