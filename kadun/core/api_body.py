"""Request bodies of API endpoints that take pictures: the same fields as JSON or as a
multipart / urlencoded form (with ``images``), validated by one pydantic schema. An upload larger
than five 5 MB pictures plus the fields is refused before Django reads it."""
from __future__ import annotations

import json

import pydantic
from django.conf import settings
from ninja.errors import ValidationError

from kadun.core.errors import DomainError

MAX_IMAGES = 5


class RequestTooLarge(DomainError):
    code = "request_too_large"
    status = 413
    message = "上传内容过大：最多5张图片，每张不超过 5 MB。"


def max_body() -> int:
    return MAX_IMAGES * settings.KADUN_MAX_UPLOAD_IMAGE_BYTES + 1024 * 1024


def _form(request, schema, list_fields: tuple[str, ...]) -> dict:
    data: dict = {}
    for name, field in schema.model_fields.items():
        if name in list_fields:  # "1,2" or repeated fields
            values: list[str] = []
            for value in request.POST.getlist(name):
                values.extend(part.strip() for part in value.split(",") if part.strip())
            data[name] = values
        elif name in request.POST and not (request.POST[name] == "" and field.default is None):
            data[name] = request.POST[name]  # an empty optional field is left out
    return data


def body_with_images(request, schema, *, list_fields: tuple[str, ...] = ()):
    """The fields of ``schema`` from JSON or a form, and the uploaded images (a form only)."""
    content_type = (request.content_type or "").lower()
    images: list = []
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body():
            raise RequestTooLarge()
        data = _form(request, schema, list_fields)
        images = request.FILES.getlist("images")
    else:
        try:
            data = json.loads(request.body or b"null")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ValidationError([{"loc": ["body"], "msg": "请求内容需为 JSON 对象或表单。", "type": "invalid_body"}])
    try:
        return schema.model_validate(data), images
    except pydantic.ValidationError as exc:
        raise ValidationError([{**e, "loc": ["body", *e["loc"]]} for e in json.loads(exc.json(include_url=False))]) from None
