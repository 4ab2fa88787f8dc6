"""评价 API shapes. A review's text is never shown while it is hidden: ``text``, ``followup_text``
and ``image_url`` are empty and ``hidden_notice`` says why."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Schema
from pydantic import Field


class ReviewIn(Schema):
    rating: int = Field(..., ge=1, le=5, description="1–5 星")
    text: str = Field("", max_length=4000, description="评价文字（服务端上限 KADUN_REVIEW_TEXT_MAX 字，不含控制字符）")


class TextIn(Schema):
    text: str = Field(..., min_length=1, max_length=4000)


class ReplyIn(TextIn):
    to: str = Field("review", pattern="^(review|followup)$", description="review 回复评价；followup 回复追评")


class HideIn(Schema):
    reason: str = Field(..., description="personal_data 含个人信息；illegal 违法违规；insult 辱骂；unrelated 与交易无关")
    note: str = Field("", max_length=500)


class UnhideIn(Schema):
    note: str = Field("", max_length=500)


class ReviewOut(Schema):
    id: int
    shop_id: int
    rating: int
    text: str
    image_url: str
    created_at: dt.datetime
    followup_text: str
    followup_at: Optional[dt.datetime]
    reply_text: str
    reply_at: Optional[dt.datetime]
    followup_reply_text: str
    followup_reply_at: Optional[dt.datetime]
    hidden: bool
    hidden_notice: str
    keywords: list[str]


class KeywordCountOut(Schema):
    phrase: str
    count: int


class ReviewPageOut(Schema):
    shop_id: int
    filter: str
    page: int
    has_more: bool
    keyword_days: int
    keyword_counts: list[KeywordCountOut]
    items: list[ReviewOut]


class AuditOut(Schema):
    id: int
    review_id: int
    action: str
    reason: str
    note: str
    at: dt.datetime
