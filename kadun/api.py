"""The one NinjaAPI. Each app adds its Router; errors are {"code", "message"}."""
from __future__ import annotations

from django.http import Http404, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kadun.core.errors import DomainError

api = NinjaAPI(
    title="kadun API",
    version="1",
    description=(
        "卡盾 kadun: products, orders, key reveals, and the merchant API. Money is an integer number of 分. "
        "Errors are `{code, message}` with a stable code.\n\n"
        "Authentication: `Authorization: Bearer kd_...` (an API key), or the site's session cookie "
        "(writes need Django's CSRF token in `X-CSRFToken`), or, for a guest's order, the order's access "
        "token in `X-Order-Token`."
    ),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.detail.get("retry_after"):
        response["Retry-After"] = str(int(exc.detail["retry_after"]))
    return response


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return api.create_response(request, {"code": "invalid_input", "message": "输入有误。", "errors": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return api.create_response(request, {"code": "unauthorized", "message": "需要登录或有效的 API 密钥。"}, status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "未找到。"}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:  # ninja: the body is not valid JSON / form data
        return api.create_response(request, {"code": "invalid_input", "message": "请求内容无法解析，请发送合法的 JSON。"}, status=422)
    return api.create_response(request, {"code": "http_error", "message": str(exc)}, status=exc.status_code)


@api.exception_handler(RawPostDataException)
def _body_already_parsed(request, exc):
    """A JSON endpoint sent a multipart/form-data body: the form was parsed at the door (NUL
    check), so the raw body is gone — and it was never JSON anyway."""
    return api.create_response(
        request, {"code": "invalid_input", "message": "请求内容无法解析：此接口需要 JSON（Content-Type: application/json）。", "errors": []}, status=422
    )


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any /api/ path no endpoint matches (e.g. a non-integer id) answers like the API: JSON."""
    return JsonResponse({"code": "not_found", "message": "未找到。"}, status=404)


def _mount() -> None:
    from kadun.catalog.api import router as catalog_router
    from kadun.merchants.api import router as merchant_router
    from kadun.orders.api import router as orders_router

    api.add_router("/products", catalog_router)
    api.add_router("/orders", orders_router)
    api.add_router("/merchant", merchant_router)
    api.add_router("/merchant/funds", "kadun.merchants.api_funds.router")
    api.add_router("/account", "kadun.web.api.router")
    api.add_router("/account", "kadun.notifications.api.router")
    api.add_router("/", "kadun.aftersales.api.router")
    api.add_router("/", "kadun.cases.api.router")
    api.add_router("/", "kadun.evidence.api.router")
    api.add_router("/", "kadun.evidence.api_complaints.router")
    api.add_router("/", "kadun.reputation.api.router")
    api.add_router("/", "kadun.reputation.api_reviews.router")
    api.add_router("/merchant", "kadun.merchants.api_penalties.router")
    api.add_router("/", "kadun.merchants.api_penalties_staff.router")
    api.add_router("/", "kadun.merchants.api_onboarding.router")
    api.add_router("/", "kadun.risk.api_runaway.router")
    api.add_router("/", "kadun.insurance.api.router")
    api.add_router("/", "kadun.risk.api_abuse.router")
    api.add_router("/", "kadun.report.api.router")
    api.add_router("/", "kadun.risk.api_alerts.router")


_mount()
