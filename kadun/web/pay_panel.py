"""The order page's payment box (``web/_pay_panel.html``): while the order waits for payment,
the current method and how to pay it right here — the WeChat Native QR code, the USDT amount,
frozen rate and a QR code of epusdt's pay link and address, or the 去支付 button of a page
gateway — and a form to switch to another enabled method (换一种支付方式). On any order: its
duplicate payments (重复支付) and their automatic refunds."""
from __future__ import annotations

from django.utils.translation import gettext

from kadun.orders.selectors import BUYER
from kadun.orders.states import OrderStatus
from kadun.payments import providers
from kadun.payments import selectors as payment_reads

QR_MODES = ("wechatpay", "epusdt")


def pay_panel(request, order, role: str, payment, refunds) -> dict:
    duplicates = [r for r in refunds if r.reason == "duplicate_payment"]
    can_switch = role == BUYER and order.status == OrderStatus.PENDING_PAYMENT and payment is not None and payment.status != "succeeded"
    panel = {"can_switch": can_switch, "duplicates": duplicates}
    if not can_switch:
        return panel
    logged_in = request.user.is_authenticated and order.buyer_id == request.user.pk
    panel["label"] = gettext(_label(payment.provider))
    panel["choices"] = [(name, label) for name, label in payment_reads.payment_choices(wallet=logged_in) if name != payment.provider]
    if payment.provider == "wechatpay":
        trade = payment_reads.wechat_trade(payment.out_trade_no)
        if trade is not None and trade.code_url:
            from kadun.payments.providers.wechatpay import qr_svg

            panel["wechat_qr"] = qr_svg(trade.code_url)
    elif payment.provider == "epusdt":
        trade = payment_reads.usdt_trade(payment.out_trade_no)
        if trade is not None:
            from kadun.payments.providers.wechatpay import qr_svg

            panel["usdt"] = trade
            target = trade.address or trade.payment_url or payment.pay_url
            panel["usdt_qr"] = qr_svg(target, title="USDT 收款二维码") if target else ""
    return panel


def _label(name: str) -> str:
    from kadun.payments.errors import UnknownProvider

    try:
        return providers.registered(name).label
    except UnknownProvider:  # a provider removed from the code since: its name is its label
        return name
