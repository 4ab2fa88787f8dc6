"""The error shape every API endpoint shares: ``{"code", "message"}`` (and ``errors`` for 422)."""
from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str


class ValidationErrorOut(ErrorOut):
    errors: list[dict[str, Any]] = []


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """Error responses for an endpoint's OpenAPI: ``response={200: Out, **errors(401, 404)}``."""
    return {status: ValidationErrorOut if status == 422 else ErrorOut for status in statuses}
