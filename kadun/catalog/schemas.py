"""API shapes for products. Money is an integer number of 分."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Field, Schema

from kadun.catalog.states import Category, Delivery


class ShopRef(Schema):
    id: int
    name: str


class BuyerField(Schema):
    name: str = Field(max_length=31)
    label: str = Field(max_length=40)
    required: bool = True


class ProductOut(Schema):
    id: int
    title: str
    description: str
    shop: ShopRef
    price: int = Field(description="分")
    market_price: Optional[int] = Field(None, description="市场参考价，分")
    delivery: Delivery
    category: Category
    stock: int = Field(description="可售卡密数；手动服务为 0")
    inspection_hours: int
    max_per_order: int
    buyer_fields: list[BuyerField]


class MerchantProductOut(ProductOut):
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductIn(Schema):
    title: str = Field(min_length=2, max_length=120)
    description: str = Field("", max_length=5000)
    category: Category = Category.OTHER
    delivery: Delivery = Delivery.AUTO
    price: int = Field(ge=1, description="分")
    market_price: Optional[int] = Field(None, ge=1, description="分")
    inspection_hours: Optional[int] = Field(None, ge=1, le=24 * 30, description="默认：自动发货 24 小时，手动服务 72 小时")
    max_per_order: int = Field(10, ge=1, le=1000)
    buyer_fields: list[BuyerField] = Field(default_factory=list, max_length=10, description="手动服务的下单信息字段")
    is_active: bool = True


class ProductPatch(Schema):
    """Only the fields sent change. ``null`` is accepted only where the value may be empty
    (market_price); the delivery method of a product cannot change."""

    title: str = Field(None, min_length=2, max_length=120)
    description: str = Field(None, max_length=5000)
    category: Category = None
    price: int = Field(None, ge=1)
    market_price: Optional[int] = Field(None, ge=1)
    inspection_hours: int = Field(None, ge=1, le=24 * 30)
    max_per_order: int = Field(None, ge=1, le=1000)
    buyer_fields: list[BuyerField] = Field(None, max_length=10)
    is_active: bool = None
