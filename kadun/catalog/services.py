"""Writes for the catalog: a merchant's products."""
from __future__ import annotations

import re

from django.conf import settings

from kadun.catalog.errors import InvalidProduct, ProductNotFound
from kadun.catalog.models import Product
from kadun.catalog.states import Category, Delivery
from kadun.core import clock
from kadun.merchants.models import Shop

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
MAX_PRICE = 10_000_000_00  # 1000万元


def _clean_buyer_fields(fields) -> list[dict]:
    cleaned, seen = [], set()
    for item in fields or []:
        name = str(item.get("name", "")).strip()
        label = str(item.get("label", "")).strip()[:40]
        if not _FIELD_NAME.match(name) or name in seen or not label:
            raise InvalidProduct("invalid_buyer_fields", "下单信息字段需有英文名（小写字母开头）和中文标签，且不能重复。")
        seen.add(name)
        cleaned.append({"name": name, "label": label, "required": bool(item.get("required", True))})
    if len(cleaned) > 10:
        raise InvalidProduct("invalid_buyer_fields", "下单信息字段最多10个。")
    return cleaned


def _validate(data: dict) -> dict:
    title = str(data.get("title", "")).strip()
    if not 2 <= len(title) <= 120:
        raise InvalidProduct("invalid_title", "商品标题需为2到120个字符。")
    delivery = data.get("delivery", Delivery.AUTO)
    if delivery not in Delivery.values:
        raise InvalidProduct("invalid_delivery", "发货方式只能是自动发货或手动服务。")
    category = data.get("category") or Category.OTHER
    if category not in Category.values:
        raise InvalidProduct("invalid_category", "商品分类不存在。")
    try:
        price = int(data.get("price"))
    except (TypeError, ValueError):
        raise InvalidProduct("invalid_price", "价格必须是以分为单位的整数。") from None
    if not 1 <= price <= MAX_PRICE:
        raise InvalidProduct("invalid_price", "价格需在0.01元到1000万元之间。")
    market_price = data.get("market_price")
    if market_price in ("", None):
        market_price = None
    else:
        try:
            market_price = int(market_price)
        except (TypeError, ValueError):
            raise InvalidProduct("invalid_market_price", "市场参考价必须是以分为单位的整数。") from None
        if not 1 <= market_price <= MAX_PRICE:
            raise InvalidProduct("invalid_market_price", "市场参考价需在0.01元到1000万元之间。")
    default_hours = settings.KADUN_DEFAULT_WINDOW_AUTO_HOURS if delivery == Delivery.AUTO else settings.KADUN_DEFAULT_WINDOW_MANUAL_HOURS
    hours = data.get("inspection_hours")
    hours = default_hours if hours in ("", None) else hours
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise InvalidProduct("invalid_inspection_hours", "验货期必须是整数小时。") from None
    if not 1 <= hours <= 24 * 30:
        raise InvalidProduct("invalid_inspection_hours", "验货期需在1小时到30天之间。")
    try:
        max_per_order = int(data.get("max_per_order") or 10)
    except (TypeError, ValueError):
        raise InvalidProduct("invalid_max_per_order", "每单限购必须是整数。") from None
    if not 1 <= max_per_order <= 1000:
        raise InvalidProduct("invalid_max_per_order", "每单限购需在1到1000之间。")
    buyer_fields = _clean_buyer_fields(data.get("buyer_fields")) if delivery == Delivery.MANUAL else []
    return {
        "title": title,
        "description": str(data.get("description", "")).strip()[:5000],
        "category": category,
        "delivery": delivery,
        "price": price,
        "market_price": market_price,
        "inspection_hours": hours,
        "max_per_order": max_per_order,
        "buyer_fields": buyer_fields,
        "is_active": bool(data.get("is_active", True)),
    }


def product_create(*, shop: Shop, data: dict) -> Product:
    fields = _validate(data)
    now = clock.now()
    return Product.objects.create(shop=shop, created_at=now, updated_at=now, **fields)


def product_update(*, shop: Shop, product_id: int, data: dict) -> Product:
    product = Product.objects.filter(pk=product_id, shop=shop).first()
    if product is None:
        raise ProductNotFound()
    fields = _validate({**_current(product), **data, "delivery": product.delivery})
    Product.objects.filter(pk=product.pk).update(updated_at=clock.now(), **fields)
    product.refresh_from_db()
    return product


def product_set_active(*, shop: Shop, product_id: int, active: bool) -> None:
    if not Product.objects.filter(pk=product_id, shop=shop).update(is_active=active, updated_at=clock.now()):
        raise ProductNotFound()


def _current(product: Product) -> dict:
    return {
        "title": product.title,
        "description": product.description,
        "category": product.category,
        "price": product.price,
        "market_price": product.market_price,
        "inspection_hours": product.inspection_hours,
        "max_per_order": product.max_per_order,
        "buyer_fields": product.buyer_fields,
        "is_active": product.is_active,
    }
