"""API shapes for the merchant API. Money is an integer number of 分."""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from ninja import Field, Schema


class KeysImportIn(Schema):
    keys: list[str] = Field(min_length=1, description="每项一个卡密；账号密码可写成 account----password")


class KeysImportOut(Schema):
    batch_id: Optional[int]
    total_lines: int
    imported: int = Field(description="已受理：新入库的卡密，加上与其他店铺重复、提交风控审核的（不单列）")
    duplicate_in_file: int
    duplicate_existing: int = Field(description="本店已有的卡密（包括已售出）")
    invalid: int
    duplicate_in_file_lines: list[int]
    duplicate_existing_lines: list[int]
    invalid_lines: list[int]


class DeliverIn(Schema):
    note: str = Field(min_length=1, max_length=5000, description="发货说明：服务完成情况")


class BalancesOut(Schema):
    escrow: int = Field(description="担保中（买家未确认），分")
    pending: int = Field(description="待结算，分")
    available: int = Field(description="可提现，分")
    deposit: int = Field(description="保证金，分")
    debt: int = Field(0, description="欠平台的款项（平台先行赔付后待追偿），分")


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: Optional[dt.datetime]
    revoked_at: Optional[dt.datetime]
    scopes: list[str] = Field(description="buyer / buyer:read / merchant / merchant:read")


class ApiKeyIn(Schema):
    name: str = Field("API key", max_length=60)
    scopes: list[Literal["buyer", "buyer:read", "merchant", "merchant:read"]] = Field(
        ["merchant"], min_length=1, description="buyer：下单、订单、卡密、退款申请；merchant：店铺、商品、订单、余额、退款处理；:read 只读"
    )


class ApiKeyCreatedOut(Schema):
    key: ApiKeyOut
    secret: str = Field(description="完整密钥，只显示这一次；请求头 Authorization: Bearer <secret>")
