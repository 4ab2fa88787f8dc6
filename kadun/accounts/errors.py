from kadun.core.errors import DomainError


class ApiKeyNotFound(DomainError):
    code = "api_key_not_found"
    status = 404
    message = "API 密钥不存在。"
