"""The keys card of the order page: reveal all, export as .txt (each a logged reveal of every
key, as 查看卡密 is), and the context the card and its 一键退款 box are drawn from."""
from __future__ import annotations

import unicodedata

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.inventory import selectors as inventory_reads
from kadun.inventory.services import key_reveal
from kadun.orders.selectors import BUYER
from kadun.orders.states import OrderStatus

REFUNDABLE = (OrderStatus.PAID, OrderStatus.IN_SERVICE, OrderStatus.DELIVERED, OrderStatus.CONFIRMED)


def refund_box_context(order, role, keys, refund_requests) -> dict:
    """What the 一键退款 box offers: the active keys not yet revealed, and what they refund."""
    open_request = next((r for r in refund_requests if r.is_open), None)
    refundable = order.status in REFUNDABLE and order.refunded_amount < order.amount
    unrevealed = [k for k in keys if k["active"] and not k["first_revealed_at"]]
    return {
        "open_request": open_request,
        # Not while a case holds the order either (refund_hold without an open request): the case decides.
        "can_request_refund": role == BUYER and refundable and open_request is None and not order.refund_hold,
        "unrevealed_keys": unrevealed,
        "instant_refund_amount": min(order.unit_price * len(unrevealed), order.amount - order.refunded_amount),
    }


def keys_card_context(order, role, *, revealed: dict[int, str] | None = None, refund_requests=None) -> dict:
    """The keys card: masked keys, or the plaintext of those revealed in this very request."""
    from kadun.aftersales import selectors as aftersales

    keys = inventory_reads.keys_of_order(order) if order.is_auto else []
    for k in keys:
        k["secret"] = (revealed or {}).get(k["id"])
    if refund_requests is None:
        refund_requests = list(aftersales.requests_of_order(order))
    active = [k for k in keys if k["active"]]
    return {
        "order": order,
        "role": role,
        "keys": keys,
        "can_reveal": role == BUYER,
        "can_reveal_all": role == BUYER and len(active) > 1,
        "has_checker": order.is_auto and (order.product.checker or {}).get("kind", "none") != "none",
        "verifications": _verifications_shown(order, keys),
        **refund_box_context(order, role, keys, refund_requests),
    }


VERIFICATION_LABELS = {
    "valid": gettext_lazy("卡密有效"), "used": gettext_lazy("卡密已被使用"), "invalid": gettext_lazy("卡密无效"),
    "error": gettext_lazy("验货接口无响应，结果不作为证据"),
}


def _verifications_shown(order, keys) -> list[dict]:
    """验货 reports as the buyer reads them: the key's number on the page and a label, not codes."""
    index_of = {k["id"]: k["index"] for k in keys}
    return [
        {"index": index_of.get(v.key_id, "?"), "label": VERIFICATION_LABELS.get(v.result, v.result),
         "checked_at": v.checked_at, "before_first_reveal": v.before_first_reveal}
        for v in inventory_reads.verifications_of(order)
    ]


def _reveal_every_key(request, order) -> dict[int, str]:
    """Reveal each active key of the order, one logged reveal per key, now."""
    from kadun.core.client_ip import client_ip

    revealed = {}
    actor = "buyer" if request.user.is_authenticated and order.buyer_id else "guest"
    for key in inventory_reads.active_keys_of_order(order):
        try:
            _key, secret = key_reveal(
                order=order, key_id=key.pk, actor=actor, user=request.user,
                ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except DomainError:
            continue  # withdrawn meanwhile (a refund or a replacement): not the buyer's to see
        revealed[key.pk] = secret
    return revealed


def _buyer_order(request, order_no: str):
    from kadun.web.views import _access

    order, role = _access(request, order_no)
    if role != BUYER or not order.is_auto:
        raise Http404
    request.kadun_sensitive = True  # no caching of secrets anywhere
    return order, role


@require_POST
def reveal_all(request, order_no: str):
    """全部查看: every key of the order shown at once; each reveal is logged as 查看卡密 is."""
    from kadun.web.views import _order_context

    order, role = _buyer_order(request, order_no)
    revealed = _reveal_every_key(request, order)
    if request.headers.get("HX-Request"):
        return render(request, "web/_keys.html", keys_card_context(order, role, revealed=revealed))
    return render(request, "web/order.html", _order_context(request, order, role, revealed=revealed))


def _one_line(text: str) -> str:
    """``text`` with every control character and line or paragraph separator replaced by a space:
    it can't add a line to the file it is written into."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text or "")


@require_POST
def keys_export(request, order_no: str):
    """导出 .txt: a download of every key, one per line. Posted (never a link, so nothing
    prefetches it and no secret is in a URL), logged as a reveal of each key, never cached."""
    order, _role = _buyer_order(request, order_no)
    revealed = _reveal_every_key(request, order)
    if not revealed:
        raise Http404
    stamp = timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M:%S")
    title = _one_line(order.title)  # a title stored before control characters were refused
    header = "# " + _("卡盾 kadun 订单 %(no)s · %(title)s · 导出时间（北京时间） %(at)s") % {"no": order.order_no, "title": title, "at": stamp}
    body = "\n".join([header, *revealed.values()]) + "\n"
    response = HttpResponse(body.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kadun-{order.order_no}.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
