"""Writes for the catalog: a merchant's products."""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings

from django.db import IntegrityError, transaction
from django.db.models import Max

from kadun.catalog import comparables, policies
from kadun.catalog.errors import InvalidProduct, ProductNotFound
from kadun.catalog.models import PriceChange, Product, RefundPolicy
from kadun.catalog.states import Category, Delivery
from kadun.core import clock
from kadun.reputation import restrictions as credit_restrictions
from kadun.risk import services as risk

if TYPE_CHECKING:
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


# A title is one line: no control characters (newline, NUL, tab, ESC … every Cc) and no line or
# paragraph separators, so nothing written from it (the buyer's key export) gains a line.
_LINE_BREAKING = {"Cc", "Zl", "Zp"}


def _validate(data: dict) -> dict:
    title = str(data.get("title", "")).strip()
    if not 2 <= len(title) <= 120:
        raise InvalidProduct("invalid_title", "商品标题需为2到120个字符。")
    if any(unicodedata.category(ch) in _LINE_BREAKING for ch in title):
        raise InvalidProduct("invalid_title_characters", "商品标题不能包含换行、制表符等控制字符。")
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
    """A product and version 1 of its refund rules (the defaults, or ``data["refund_rules"]``)."""
    credit_restrictions.product_check(shop_id=shop.pk)  # 信用分 below the floor: no new products
    fields = _validate(data)
    _category_allowed(shop, fields["category"])
    rules = policies.validate(data.get("refund_rules") or {}, delivery=fields["delivery"])
    checker = checker_validate(data.get("checker") or {"kind": "none"}) if fields["delivery"] == Delivery.AUTO else {"kind": "none"}
    now = clock.now()
    with transaction.atomic():
        product = Product.objects.create(shop=shop, created_at=now, updated_at=now, checker=checker, comparable_key=_key(fields), **fields)
        RefundPolicy.objects.create(product=product, version=1, rules=rules, created_at=now)
        _lure_check(product, shop)
        comparables.group_refresh(product.comparable_key)  # 超低价: the group's median
    return product


def _category_allowed(shop: Shop, category: str) -> None:
    """A category that needs proofs (软件授权书…) only once the shop's are approved (资质审核)."""
    from kadun.merchants.onboarding_selectors import category_refusal

    refusal = category_refusal(shop, category)
    if refusal is not None:
        raise refusal


def lure_text(product) -> str:
    """What of a product is checked for off-platform lures (and warned about on its page)."""
    return f"{product.title}\n{product.description}"


def _lure_check(product: Product, shop: Shop) -> None:
    """脱离平台交易: a title or description inviting buyers off the platform is flagged for risk
    staff (and, repeated, a breach); the product page warns buyers."""
    risk.lure_check(
        text=lure_text(product), where="product_description", subject=f"product:{product.pk}",
        author_id=shop.owner_id, author_role="merchant", shop_id=shop.pk,
    )


def policy_update(*, shop: Shop, product_id: int, rules: dict) -> RefundPolicy:
    """A new version of the product's refund rules. Orders already placed keep theirs."""
    product = Product.objects.filter(pk=product_id, shop=shop).first()
    if product is None:
        raise ProductNotFound()
    cleaned = policies.validate(rules, delivery=product.delivery)
    for _ in range(3):
        latest = RefundPolicy.objects.filter(product=product).aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return RefundPolicy.objects.create(product=product, version=latest + 1, rules=cleaned, created_at=clock.now())
        except IntegrityError:
            continue  # two edits at once: take the next number
    raise InvalidProduct("policy_conflict", "退款规则正在被同时修改，请重试。", status=409)


CHECKER_KINDS = ("none", "format", "http")


def checker_validate(config: dict) -> dict:
    """A 验货 checker as stored, or ``invalid_checker``: a format pattern must compile on RE2 (the
    engine checks run on; linear time, no back-references); an HTTP URL must be http(s) with a
    host, no user name or password, a valid port, and not a private address (checked again at
    every call, after resolving the name)."""
    from kadun.inventory import checkers

    kind = (config or {}).get("kind", "none")
    if kind not in CHECKER_KINDS:
        raise InvalidProduct("invalid_checker", "验货方式只能是：不验货、格式校验、HTTP 接口。")
    if kind == "none":
        return {"kind": "none"}
    try:
        if kind == "format":
            pattern = str(config.get("pattern") or "")
            checkers.compile_pattern(pattern)
            return {"kind": "format", "pattern": pattern}
        url = str(config.get("url") or "").strip()
        target = checkers.parse_url(url)
    except checkers.CheckerConfigError as exc:
        raise InvalidProduct("invalid_checker", str(exc)) from None
    if checkers.literal_address_refused(target):
        raise InvalidProduct("invalid_checker", "验货接口地址不能是内网、本机或保留地址。")
    secret = str(config.get("secret", "")).strip()[:200]
    if len(secret) < 16:
        raise InvalidProduct("invalid_checker", "验货接口签名密钥至少16个字符。")
    return {"kind": "http", "url": url, "secret": secret}


def checker_set(*, shop: Shop, product_id: int, config: dict) -> None:
    product = Product.objects.filter(pk=product_id, shop=shop).first()
    if product is None:
        raise ProductNotFound()
    if not product.is_auto:
        raise InvalidProduct("invalid_checker", "手动服务类商品不需要验货。")
    Product.objects.filter(pk=product.pk).update(checker=checker_validate(config), updated_at=clock.now())


def product_update(*, shop: Shop, product_id: int, data: dict) -> Product:
    product = Product.objects.filter(pk=product_id, shop=shop).first()
    if product is None:
        raise ProductNotFound()
    fields = _validate({**_current(product), **data, "delivery": product.delivery})
    if fields["category"] != product.category:
        _category_allowed(shop, fields["category"])
    key = _key({**fields, "delivery": product.delivery})
    with transaction.atomic():
        Product.objects.filter(pk=product.pk).update(updated_at=clock.now(), comparable_key=key, **fields)
        for group in {product.comparable_key, key}:  # 超低价: the medians it left and joined
            comparables.group_refresh(group)
        if fields["price"] != product.price:  # recorded for risk (改价后短时间内大量下单)
            PriceChange.objects.create(product=product, shop_id=shop.pk, old_price=product.price, new_price=fields["price"], at=clock.now())
        before = lure_text(product)
        product.title, product.description = fields["title"], fields["description"]
        if lure_text(product) != before:  # unchanged text was checked when written
            _lure_check(product, shop)
    product.refresh_from_db()
    return product


def product_set_active(*, shop: Shop, product_id: int, active: bool) -> None:
    with transaction.atomic():
        if not Product.objects.filter(pk=product_id, shop=shop).update(is_active=active, updated_at=clock.now()):
            raise ProductNotFound()
        comparables.group_refresh(Product.objects.filter(pk=product_id).values_list("comparable_key", flat=True).get())


def _key(fields: dict) -> str:
    return comparables.key_of(title=fields["title"], category=fields["category"], delivery=fields["delivery"])


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
