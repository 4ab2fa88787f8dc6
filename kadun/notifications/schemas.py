from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

ChannelKindName = Literal["telegram", "wecom", "bark", "webhook"]


class NotifyChannelIn(Schema):
    kind: ChannelKindName
    label: str = Field("", max_length=60)
    config: dict[str, str] = Field(
        ...,
        description=(
            "telegram: {bot_token, chat_id}; wecom: {key}（或完整 Webhook 地址）; bark: {device_key, server?}; "
            "webhook: {url, secret?}（https；secret 留空则由平台生成并只在本次返回）"
        ),
    )


class NotifyChannelOut(Schema):
    id: int
    kind: str
    label: str
    summary: str = Field(..., description="打码后的设置，从不含完整密钥")
    enabled: bool
    created_at: dt.datetime
    last_ok_at: dt.datetime | None
    last_error: str


class NotifyChannelCreatedOut(Schema):
    channel: NotifyChannelOut
    secret: str | None = Field(None, description="平台生成的 Webhook 签名密钥，只返回这一次")


class NotifyChannelPatchIn(Schema):
    enabled: bool


class NotifyDeliveryOut(Schema):
    id: int
    kind: str = Field(..., description="email / telegram / wecom / bark / webhook")
    channel_id: int | None
    label: str
    event: str
    title: str
    status: str = Field(..., description="pending / sent / failed（将重试）/ dead（已放弃）/ skipped（渠道已停用或删除）")
    attempts: int
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
