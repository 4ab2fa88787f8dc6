"""What a buyer must confirm at checkout, in the words they are shown.

7天无理由 (消保法 §25; 网络购买商品七日无理由退货暂行办法 §20): a product whose rules exclude it
may only do so with the buyer's confirmation on each purchase. The checkout page shows
``no_reason_text`` as the label of a required checkbox; the API documents the same text on
``confirm_no_reason_exclusion``. ``order_create`` refuses an excluded product without it, and
stores the text confirmed (with its SHA-256), the channel and the time with the order.
"""
from __future__ import annotations

import hashlib

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kadun.catalog.states import Delivery
from kadun.orders.errors import LowPriceConfirmationRequired, NoReasonConfirmationRequired
from kadun.orders.models import CheckoutConfirmation

WEB, API = "web", "api"
CHANNELS = (WEB, API)

_NO_REASON_TEXT = {
    Delivery.AUTO: _("我已知悉：本商品为数字商品，一经发货不适用七天无理由退货（卡密未查看时仍可按规则即时退款）。"),
    Delivery.MANUAL: _("我已知悉：本服务为数字服务，不适用七天无理由退货（商家接单前申请退款的全额退款，之后按退款规则处理）。"),
}


def required_at_checkout(product, rules: dict, *, no_reason: bool, channel: str) -> list[CheckoutConfirmation]:
    """The confirmations this purchase needs, as unsaved rows (order and time set by checkout),
    or NoReasonConfirmationRequired when the buyer did not give one (``no_reason`` must be True,
    not merely truthy)."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    if not no_reason_required(rules):
        return []
    if no_reason is not True:
        raise NoReasonConfirmationRequired()
    text = no_reason_text(product.delivery, channel=channel)
    return [CheckoutConfirmation(kind=CheckoutConfirmation.KIND_NO_REASON_EXCLUSION, text=text, text_sha256=sha256(text), channel=channel)]


def warnings_confirmed(shown: list, *, low_price: bool, channel: str) -> list[CheckoutConfirmation]:
    """The ticks the checkout warnings (``orders.warnings``) need: 超低价 only, confirmed with
    its text and figures, or LowPriceConfirmationRequired (``low_price`` must be True)."""
    from kadun.orders.warnings import LOW_PRICE, low_price_confirmation_text

    out = []
    for warning in shown:
        if warning.code != LOW_PRICE:
            continue
        if low_price is not True:
            raise LowPriceConfirmationRequired()
        text = low_price_confirmation_text(warning, channel=channel)
        out.append(CheckoutConfirmation(kind=CheckoutConfirmation.KIND_LOW_PRICE, text=text, text_sha256=sha256(text), channel=channel))
    return out


def no_reason_required(rules: dict) -> bool:
    """The rules exclude 7天无理由, so the buyer must confirm it on this purchase."""
    return not rules.get("no_reason_7days", False)


def no_reason_text(delivery: str, *, channel: str = WEB) -> str:
    """The text the buyer confirms: on the page, in the page's language (the one active for the
    request); over the API, the Chinese text its documentation shows."""
    label = _NO_REASON_TEXT[Delivery.MANUAL if delivery == Delivery.MANUAL else Delivery.AUTO]
    if channel == API:
        with translation.override("zh-hans"):
            return str(label)
    return str(label)


def no_reason_label(delivery: str):
    """The checkbox label (lazy, so it renders in the page's language)."""
    return _NO_REASON_TEXT[Delivery.MANUAL if delivery == Delivery.MANUAL else Delivery.AUTO]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def api_description() -> str:
    """The API field's description: what the buyer confirms, per kind of product."""
    with translation.override("zh-hans"):
        auto, manual = str(_NO_REASON_TEXT[Delivery.AUTO]), str(_NO_REASON_TEXT[Delivery.MANUAL])
    return (
        "商品退款规则不适用七天无理由退货（no_reason_7days=false）时必填且须为 true，表示买家逐单确认："
        f"卡密商品「{auto}」；服务类商品「{manual}」。"
        "未确认则 400 no_reason_confirmation_required，不创建订单。确认的文本、时间和渠道随订单保存"
        "（checkout_confirmations）。支持七天无理由的商品忽略此字段。"
    )
