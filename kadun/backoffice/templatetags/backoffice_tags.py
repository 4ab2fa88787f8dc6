"""Filters for the staff console: {% load backoffice_tags %}. Codes stored on rows (statuses,
event kinds, refund reasons, providers, ledger kinds, actors) are shown to people as labels;
a code nobody labelled yet is shown as it is rather than hidden."""
from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kadun.aftersales.states import refund_reason_label
from kadun.core.money import fen_to_yuan
from kadun.ledger import accounts as account_codes
from kadun.orders import states as order_states

register = template.Library()

_BADGE = {
    "confirmed": "ok",
    "succeeded": "ok",
    "paid": "warn",
    "in_service": "warn",
    "delivered": "warn",
    "pending": "warn",
    "refunded": "bad",
    "failed": "bad",
}
ENTRY_KINDS = {
    "payment": _("付款（进入担保）"),
    "release": _("确认收货，放款给商家"),
    "settle": _("结算到可用余额"),
    "refund": _("退款"),
    "merchant_debt": _("先行赔付，记为商家欠款"),
}
ACCOUNT_KINDS = {
    "external": _("支付渠道"),
    "wallet": _("买家余额"),
    "escrow": _("订单担保"),
    "pending": _("商家待结算"),
    "available": _("商家可用余额"),
    "deposit": _("商家保证金"),
    "fees": _("平台手续费"),
    "insurance_pool": _("售后保险池"),
    "advance": _("平台先行赔付"),
    "debt": _("商家欠款"),
}
DESTINATIONS = {"source": _("原路退回"), "wallet": _("退到平台余额")}


@register.filter
def yuan(fen) -> str:
    """An amount in 分 as 元 with two decimals: {{ order.amount|yuan }} -> 12.34"""
    if fen in (None, ""):
        return ""
    return fen_to_yuan(int(fen))


@register.filter
def status_badge(status) -> str:
    """CSS class for a status badge: ok / warn / bad, or empty for neutral states."""
    return _BADGE.get(str(status), "")


@register.filter
def order_status(value) -> str:
    return order_states.status_label(str(value or ""))


@register.filter
def event_label(kind) -> str:
    return order_states.event_label(str(kind))


@register.filter
def actor_label(value) -> str:
    return order_states.actor_label(str(value or ""))


@register.filter
def refund_reason(code) -> str:
    return refund_reason_label(str(code or ""))


@register.filter
def destination(value) -> str:
    return str(DESTINATIONS.get(str(value), value))


@register.filter
def provider_label(name) -> str:
    """A payment provider's name for people (its ``label``, translated)."""
    from kadun.payments.errors import UnknownProvider
    from kadun.payments.providers import get

    try:
        return gettext(get(str(name)).label)
    except UnknownProvider:  # a retired provider: show what is stored
        return str(name)


@register.filter
def entry_kind(kind) -> str:
    return str(ENTRY_KINDS.get(str(kind), kind))


@register.filter
def entry_memo(entry) -> str:
    """A journal entry's memo: a refund's is its reason code, a payment's starts with the
    provider's name; both are shown as labels."""
    memo = entry.memo or ""
    if entry.kind == "refund":
        return refund_reason_label(memo)
    head, _sep, rest = memo.partition(" ")
    if entry.kind == "payment" and rest:
        label = provider_label(head)
        return f"{label} {rest}" if label != head else memo
    return memo


@register.filter
def account_label(code) -> str:
    """What a ledger account is, for people: 订单担保, 商家待结算 … (the code is shown beside it)."""
    try:
        kind, _owner = account_codes.parse(str(code))
    except (ValueError, IndexError):
        return ""
    return str(ACCOUNT_KINDS.get(kind, kind))
