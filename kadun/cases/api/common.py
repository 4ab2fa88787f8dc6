"""What every case endpoint shares: who is calling (and in which role on the order), request
bodies with pictures, and Idempotency-Key replays."""
from __future__ import annotations

import functools
import hashlib
import inspect
import json

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from ninja.errors import ValidationError
from ninja.responses import Status

from kadun.accounts.api_auth import ORDER_AUTH, SessionRequired, buyer_key, caller_of, order_token_of, session
from kadun.aftersales import services as aftersales
from kadun.cases import selectors
from kadun.cases.errors import CaseNotAllowed, CaseNotFound
from kadun.core import api_body
from kadun.core.errors import DomainError, Forbidden
from kadun.merchants.selectors import shop_of
from kadun.orders.selectors import BUYER, MERCHANT, STAFF, Viewer, order_access

# Authentication -----------------------------------------------------------------------------


class NoApiKey:
    """Staff endpoints take the website's session only (a key never carries a staff role): a
    bearer key is refused with 403 ``session_required``, never taken for anonymous."""

    def __call__(self, request):
        if request.headers.get("Authorization", "").strip().lower().startswith("bearer"):
            raise SessionRequired()
        return None


BUYER_AUTH = ORDER_AUTH  # the buyer's actions (a guest: X-Order-Token)
ACCOUNT_AUTH = [buyer_key, session]  # the logged-in buyer's own list
STAFF_AUTH = [NoApiKey(), session]


def viewer(request) -> Viewer:
    caller = caller_of(request)
    return Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)


def author(request):
    """The user acting (None for a guest with the order's token)."""
    caller = caller_of(request)
    return caller.user if caller.authenticated else None


def order_of(request, order_no: str):
    order, role = order_access(order_no=order_no, viewer=viewer(request))
    request.kadun_sensitive = True  # nothing about an order or its case is cached
    return order, role


def case_of(request, case_no: str):
    case, role = selectors.case_access(case_no=case_no, viewer=viewer(request))
    request.kadun_sensitive = True
    return case, role


def not_the_buyer() -> Forbidden:
    return Forbidden("not_the_buyer", "只有买家可以进行此操作。")


def buyer_only(role: str) -> None:
    if role != BUYER:
        raise not_the_buyer()


def party(role: str) -> str:
    """The side the caller acts for on this order. Staff act through /api/staff/ (where their
    staff role is checked), never as a side."""
    if role not in (BUYER, MERCHANT):
        raise CaseNotAllowed(message="平台工作人员请通过平台接口（/api/staff/cases/…）处理工单。")
    return role


def merchant_case(request, case_no: str):
    """(shop, case) if the case is on an order of the caller's shop; another shop's is 404."""
    caller = caller_of(request)
    shop = shop_of(caller.user)
    case, role = selectors.case_access(case_no=case_no, viewer=Viewer(user=caller.user, roles=caller.roles))
    if role != MERCHANT or case.shop_id != shop.pk:
        raise CaseNotFound()
    request.kadun_sensitive = True
    return shop, case


def staff_user(request):
    user = caller_of(request).user
    if not getattr(user, "staff_role", ""):
        raise Forbidden("staff_only", "仅平台工作人员可用。")
    request.kadun_sensitive = True
    return user


def staff_case(request, case_no: str):
    """(staff user, case). A staff member who is the order's buyer or merchant is a party to it,
    not its judge: 403 ``own_case``."""
    user = staff_user(request)
    case, role = selectors.case_access(case_no=case_no, viewer=Viewer(user=user))
    if role != STAFF:
        raise Forbidden("own_case", "您是该订单的买家或商家，不能以平台身份查看或处理此工单。")
    return user, case


# Bodies with pictures -------------------------------------------------------------------


LIST_FIELDS = ("key_ids", "clauses", "evidence")


def body_with_images(request, schema):
    """The fields of ``schema`` from JSON or a multipart/urlencoded form, and the uploaded images."""
    return api_body.body_with_images(request, schema, list_fields=LIST_FIELDS)


def _inline(schema: dict, defs: dict) -> dict:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


IMAGES_FIELD = {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": aftersales.MAX_IMAGES,
                "description": "图片：PNG/JPEG/GIF/WebP（按内容识别），每张不超过 5 MB，最多5张"}


def body_doc(schema) -> dict:
    """The OpenAPI request body of an endpoint reading ``body_with_images``: JSON, or multipart."""
    spec = schema.model_json_schema()
    json_schema = _inline(spec, spec.get("$defs", {}))
    form = {**json_schema, "properties": {**json_schema.get("properties", {}), "images": IMAGES_FIELD}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": json_schema}, "multipart/form-data": {"schema": form}}}}


# Idempotency-Key -----------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_SECONDS = 24 * 3600
IDEMPOTENCY_DOC = {
    "parameters": [{
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False, "schema": {"type": "string", "maxLength": 64},
        "description": "可选。同一调用方对同一地址用同一键重试时（24小时内），返回首次成功的应答，不会再执行一次。",
    }],
}


class IdempotencyKeyInUse(DomainError):
    code = "idempotency_key_in_use"
    status = 409
    message = "相同 Idempotency-Key 的请求正在处理，请稍后重试。"


def _who(request) -> str:
    caller = caller_of(request)
    if caller.authenticated:
        return f"user:{caller.user.pk}:{caller.via}:{','.join(sorted(caller.roles or ()))}"
    token = order_token_of(request) or ""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


def idempotent(view):
    """A POST replayed with the same ``Idempotency-Key`` by the same caller at the same address
    answers the first success again without acting twice. (What a replay could double — a
    message — is the point; money never moves twice anyway: refunds are idempotent per case and
    stage, and a case's stage guards refuse a second accept or decision.) A failure is not kept:
    nothing changed, so the retry runs."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
        if len(key) > 64:
            raise ValidationError([{"loc": ["header", IDEMPOTENCY_HEADER], "msg": "最长64个字符。", "type": "string_too_long"}])
        if not key:
            return view(request, *args, **kwargs)
        digest = hashlib.sha256(f"{_who(request)}|{request.method}|{request.path}|{key}".encode()).hexdigest()
        done_key, busy_key = f"kadun:case-idem:{digest}", f"kadun:case-idem-busy:{digest}"
        done = cache.get(done_key)
        if done is not None:
            return Status(done["status"], done["body"])
        if not cache.add(busy_key, 1, 120):
            raise IdempotencyKeyInUse()
        try:
            result = view(request, *args, **kwargs)
            status, body = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
            cache.set(done_key, {"status": status, "body": json.loads(json.dumps(body, cls=DjangoJSONEncoder))}, IDEMPOTENCY_SECONDS)
            return result
        finally:
            cache.delete(busy_key)

    # ninja reads the handler's parameters from the signature, resolving string annotations
    # against the function's module: give it the handler's, resolved there.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)
    return wrapper


# Lists ---------------------------------------------------------------------------------------


class Mapped:
    """A queryset paged by ninja's ``@paginate`` whose rows are shaped by ``fn`` (the schema
    builders) once sliced: one query for the page, one COUNT."""

    def __init__(self, qs, fn):
        self.qs, self.fn = qs, fn

    def __getitem__(self, window):
        return [self.fn(row) for row in self.qs[window]]

    def __len__(self) -> int:
        return self.qs.count()


def extra(errs, *, body=None, idem: bool = False, optional_auth: bool = False, **more) -> dict:
    """An endpoint's ``openapi_extra``: its error codes, its body (JSON or multipart), the
    Idempotency-Key header, and optional credentials."""
    out: dict = {**errs.openapi}
    if body is not None:
        out.update(body_doc(body))
    if idem:
        out.update(IDEMPOTENCY_DOC)
    if optional_auth:
        out["security"] = [{}]
    out.update(more)
    return out
