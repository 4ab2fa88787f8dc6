"""Page-number pagination with bounded inputs: a page past any real list is a 422, never an
integer overflow in the database's OFFSET."""
from __future__ import annotations

from typing import Optional

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class Pagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: Optional[int] = Field(None, ge=1)  # noqa: UP045 (capped by max_page_size)
