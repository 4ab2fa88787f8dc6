"""Domain errors: a stable ``code``, an HTTP status, and a Chinese message for pages."""
from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400
    message = "操作失败。"

    def __init__(self, code: str | None = None, message: str | None = None, *, status: int | None = None, **detail):
        self.code = code or self.code
        self.message = message or self.message
        self.status = status or self.status
        self.detail = detail
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "未找到，或您无权查看。"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = "您无权执行此操作。"


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    message = "当前状态下不能执行此操作。"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "尝试次数过多，请稍后再试。"


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400
    message = "输入有误。"
