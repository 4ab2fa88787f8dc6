"""下单前提示: what a buyer must see before paying, with the figures behind each warning.

``checkout_warnings(product, rules)`` is read by the product page, the API's
``GET /api/products/{id}/warnings`` and ``order_create`` alike, so what is shown is what is
enforced and stored. Each warning has a stable ``code``, a Chinese ``text`` with the figures
spelled out, the ``figures`` themselves, and whether the buyer must tick it (``tick``):

- ``low_price`` (超低价, tick): the unit price is below ``KADUN_CHECKOUT_LOW_PRICE_RATIO_BPS`` (50 %)
  of the product's market reference price, or, without one, of the median price of comparable
  products on sale (``kadun.catalog.comparables``). Exactly 50 % is not below it: no warning.
- ``new_shop`` (新商家): the shop is younger than ``KADUN_CHECKOUT_NEW_SHOP_DAYS`` (30) days or has
  fewer than ``KADUN_CHECKOUT_NEW_SHOP_ORDERS`` (20) confirmed orders; suggests a small first order.
- ``unverified_shop``: the shop's 资质 is not approved or it does not hold the 已认证 badge.
- ``deposit_short``: the shop holds less deposit than it must — marked short by the last refresh
  (``DepositState``; every deposit event, each checkout's selling gate and the nightly check keep
  it) and still short on the live position — whether or not its grace period is still running.
- ``weaker_rules``: the product's current rules (the ones checkout freezes) or its inspection
  window are weaker for the buyer than the platform default, each weakness in plain words.
  7天无理由 is excluded by the platform default for digital goods, so its exclusion is not a
  weakness here; it keeps its own per-order confirmation (``confirmations``), never a second tick.

Ticks: only ``low_price``; ``order_create`` refuses without ``confirm_low_price`` (400
``low_price_confirmation_required``) and stores the text ticked as a ``CheckoutConfirmation``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kadun.catalog import policies
from kadun.catalog.states import Delivery
from kadun.core import clock
from kadun.core.money import fen_to_yuan

LOW_PRICE, NEW_SHOP, UNVERIFIED_SHOP, DEPOSIT_SHORT, WEAKER_RULES = "low_price", "new_shop", "unverified_shop", "deposit_short", "weaker_rules"


@dataclass(frozen=True)
class CheckoutWarning:
    code: str
    figures: dict = field(default_factory=dict)
    tick: bool = False

    @property
    def text(self) -> str:
        """In the active language (the page's); ``stored()`` keeps the Chinese text."""
        return warning_text(self.code, self.figures)

    def stored(self) -> dict:
        """What goes onto the order: code, figures, tick and the Chinese text as shown."""
        with translation.override("zh-hans"):
            return {"code": self.code, "text": self.text, "figures": self.figures, "tick": self.tick}


def _pct(bps: int) -> str:
    return f"{bps / 100:g}%"


def _hours(h: int) -> str:
    return _("%(n)s天") % {"n": h // 24} if h % 24 == 0 else _("%(n)s小时") % {"n": h}


def low_price(product) -> CheckoutWarning | None:
    """超低价: the unit price against the reference (market price, else comparable median)."""
    from kadun.catalog import comparables

    ratio = settings.KADUN_CHECKOUT_LOW_PRICE_RATIO_BPS
    if product.market_price:
        reference, extra = product.market_price, {"source": "market_price"}
    else:
        group = comparables.median_for(product)
        if group is None:
            return None
        reference = group["median"]
        extra = {"source": "comparable_median", "comparables": group["products"], "comparable_shops": group["shops"]}
    if product.price * 10_000 >= reference * ratio:
        return None
    return CheckoutWarning(LOW_PRICE, {"price": product.price, "reference": reference, "ratio_bps": ratio, **extra}, tick=True)


def _shop_warnings(product, confirmed: int, facts: dict, now) -> list[CheckoutWarning]:
    out = []
    days, orders_min = settings.KADUN_CHECKOUT_NEW_SHOP_DAYS, settings.KADUN_CHECKOUT_NEW_SHOP_ORDERS
    age = now - product.shop.created_at
    if age < dt.timedelta(days=days) or confirmed < orders_min:
        out.append(CheckoutWarning(NEW_SHOP, {"age_days": age.days, "confirmed_orders": confirmed, "days_min": days, "orders_min": orders_min}))
    if facts["verified_at"] is None or not facts["verified_badge"]:
        out.append(CheckoutWarning(UNVERIFIED_SHOP, {"verified": facts["verified_at"] is not None, "verified_badge": bool(facts["verified_badge"])}))
    if facts["short_since"] is not None:
        # Marked short at the last refresh (every deposit event, each checkout's gate, nightly):
        # confirmed against the live position, the one the gate and the product page read.
        from kadun.merchants.selectors_deposit import deposit_position

        position = deposit_position(product.shop_id)
        if position.held < position.required:
            ends = facts["short_since"] + dt.timedelta(hours=settings.KADUN_DEPOSIT_GRACE_HOURS)
            out.append(CheckoutWarning(DEPOSIT_SHORT, {
                "required": position.required, "held": position.held, "in_grace": now < ends, "short_since": facts["short_since"].isoformat(),
            }))
    return out


def weaknesses(product, rules: dict) -> list[dict]:
    """Each way the product's rules (and inspection window) are weaker for the buyer than the
    platform default: {rule, value, default} (and the milestone's name)."""
    default = policies.default_rules(product.delivery)
    found = []
    default_hours = settings.KADUN_DEFAULT_WINDOW_AUTO_HOURS if product.is_auto else settings.KADUN_DEFAULT_WINDOW_MANUAL_HOURS
    if product.inspection_hours < default_hours:
        found.append({"rule": "inspection_hours", "value": product.inspection_hours, "default": default_hours})
    if rules["refund_window_hours"] < default["refund_window_hours"]:
        found.append({"rule": "refund_window_hours", "value": rules["refund_window_hours"], "default": default["refund_window_hours"]})
    if default["no_reason_7days"] and not rules["no_reason_7days"]:
        found.append({"rule": "no_reason_7days", "value": False, "default": True})
    if rules["defect_remedy"] == "replace" and default["defect_remedy"] != "replace":
        found.append({"rule": "defect_remedy", "value": "replace", "default": default["defect_remedy"]})
    longer = ["merchant_response_hours", "replacement_hours"] + (["delivery_deadline_hours"] if product.delivery == Delivery.MANUAL else [])
    for rule in longer:
        if rules[rule] > default[rule]:
            found.append({"rule": rule, "value": rules[rule], "default": default[rule]})
    for m in rules.get("milestones") or [] if product.delivery == Delivery.MANUAL else []:
        if m["refundable_bps"] < 10_000:
            found.append({"rule": "milestones", "value": m["refundable_bps"], "default": 10_000, "name": m["name"]})
    return found


def weaker_rules(product, rules: dict) -> CheckoutWarning | None:
    found = weaknesses(product, rules)
    return CheckoutWarning(WEAKER_RULES, {"weaknesses": found}) if found else None


_LONGER = {
    "merchant_response_hours": _("商家回应退款申请的时限为 %(value)s（平台默认 %(default)s），等待时间更长"),
    "replacement_hours": _("补发时限为 %(value)s（平台默认 %(default)s），等待时间更长"),
    "delivery_deadline_hours": _("服务完成期限为 %(value)s（平台默认 %(default)s）"),
}


def weakness_text(w: dict) -> str:
    rule = w["rule"]
    if rule in ("inspection_hours", "refund_window_hours", *_LONGER):
        args = {"value": _hours(w["value"]), "default": _hours(w["default"])}
        if rule == "inspection_hours":
            return _("验货期只有 %(value)s（平台默认 %(default)s），期满自动确认收货，请尽快验货") % args
        if rule == "refund_window_hours":
            return _("发货后 %(value)s内才能申请退款（平台默认 %(default)s）") % args
        return _LONGER[rule] % args
    if rule == "no_reason_7days":
        return str(_("不支持七天无理由退货（平台默认支持）"))
    if rule == "defect_remedy":
        return str(_("卡密无效时只补发、不退款（平台默认可退款或补发）"))
    return _("完成「%(name)s」后最多只能退 %(pct)s") % {"name": w["name"], "pct": _pct(w["value"])}


def warning_text(code: str, f: dict) -> str:
    """The words of a warning, from its figures, in the active language."""
    if code == LOW_PRICE:
        args = {"price": fen_to_yuan(f["price"]), "reference": fen_to_yuan(f["reference"]), "pct": _pct(f["ratio_bps"])}
        if f["source"] == "market_price":
            head = _("超低价提醒：售价 ¥%(price)s，低于市场参考价 ¥%(reference)s 的 %(pct)s。") % args
        else:
            head = _("超低价提醒：售价 ¥%(price)s，低于平台同类商品（%(n)s 件）价格中位数 ¥%(reference)s 的 %(pct)s。") % {**args, "n": f["comparables"]}
        return head + str(_("远低于市场价的商品常见于盗刷、黑卡或已被使用的卡密，请谨慎购买。"))
    if code == NEW_SHOP:
        capped = f["confirmed_orders"] >= f["orders_min"]
        orders = f"{f['orders_min']}+" if capped else str(f["confirmed_orders"])
        return _(
            "新商家提醒：该店铺开店 %(age)s 天，已确认收货订单 %(orders)s 笔（开店不足 %(days)s 天或成交不足 %(min)s 笔）。"
            "建议先小额试购，确认可用后再大量购买。"
        ) % {"age": f["age_days"], "orders": orders, "days": f["days_min"], "min": f["orders_min"]}
    if code == UNVERIFIED_SHOP:
        return str(_("该店铺未取得「已认证」标识（资质未通过审核或认证已失效），平台未核验其主体信息，请谨慎购买。"))
    if code == DEPOSIT_SHORT:
        args = {"required": fen_to_yuan(f["required"]), "held": fen_to_yuan(f["held"])}
        if f["in_grace"]:
            return _("保证金不足：该店铺应缴保证金 ¥%(required)s，现有 ¥%(held)s，补缴宽限期内。出现纠纷时可用于赔付的保证金较少。") % args
        return _("保证金不足：该店铺应缴保证金 ¥%(required)s，现有 ¥%(held)s，已超过补缴宽限期。出现纠纷时可用于赔付的保证金较少。") % args
    if code == WEAKER_RULES:
        return _("本商品的售后规则弱于平台默认：%(items)s。") % {"items": _("；").join(weakness_text(w) for w in f["weaknesses"])}
    return code


def checkout_warnings(product, rules: dict) -> list[CheckoutWarning]:
    """Every warning for buying ``product`` (with its shop in hand) under ``rules`` (its current
    rules: what checkout freezes), now. Reads: the shop's confirmed orders (at most 20 rows
    counted), the shop's badge and deposit state (one query), the comparable median (one row,
    only without a market price and with a face value in the title)."""
    from kadun.merchants.selectors import checkout_facts
    from kadun.orders.selectors import confirmed_count_capped

    confirmed = confirmed_count_capped(shop_id=product.shop_id, cap=settings.KADUN_CHECKOUT_NEW_SHOP_ORDERS)
    found = [low_price(product), *_shop_warnings(product, confirmed, checkout_facts(product.shop_id), clock.now()), weaker_rules(product, rules)]
    return [w for w in found if w is not None]


def shown(stored: list[dict]) -> list[dict]:
    """Warnings stored on an order, their text in the active language (the order page)."""
    return [{**w, "text": warning_text(w["code"], w["figures"])} for w in stored or []]


def low_price_confirmation_text(warning: CheckoutWarning, *, channel: str = "web") -> str:
    """The text the buyer ticks for 超低价: the warning itself, with its figures — on the page
    in its language, over the API in Chinese (as ``confirmations.no_reason_text``)."""
    if channel == "api":
        with translation.override("zh-hans"):
            return _("我已知悉并仍要购买：%(warning)s") % {"warning": warning.text}
    return _("我已知悉并仍要购买：%(warning)s") % {"warning": warning.text}
