"""商家后台 · 订单: the order list and one order, where a manual service is accepted (接单),
its milestones marked one at a time, and delivered (发货).

The order page is in sections; each form posts to its action with the section's anchor
(``#handle``, ``#milestones``), so the browser comes back to the form it used. A refused action
re-renders the page with the error inside that section (and the HTTP status of the error);
a successful one redirects (POST → redirect → GET) to the section of the next step.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kadun.aftersales import selectors as refund_selectors
from kadun.aftersales.states import RequestStatus
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.core.money import fee_of, fen_to_yuan
from kadun.core.pagination import id_param, keyset_page
from kadun.inventory import selectors as inventory_selectors
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import sum_for_ref
from kadun.merchants.countdown import remaining_text, urgency
from kadun.merchants.forms import DeliverForm, OrderFilterForm
from kadun.merchants.access import count_open_refunds, merchant_page
from kadun.orders import selectors as order_selectors
from kadun.orders import services as order_services
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import MERCHANT, Viewer
from kadun.orders.states import HELD, OrderStatus, actor_label, event_label

ORDERS_PER_PAGE = 20
HANDLE, MILESTONES = "handle", "milestones"
_BADGE = {
    OrderStatus.PAID: "warn",
    OrderStatus.IN_SERVICE: "warn",
    OrderStatus.CONFIRMED: "ok",
    OrderStatus.EXPIRED: "bad",
    OrderStatus.REFUNDED: "bad",
}


def percent(bps: int) -> str:
    """Basis points as a percentage for people: 350 → "3.5"."""
    return f"{bps / 100:g}"


def _status(value: str) -> dict:
    try:
        label = OrderStatus(value).label
    except ValueError:
        label = value
    return {"value": value, "label": label, "badge": _BADGE.get(value, "")}


def _merchant_order(request, order_no: str):
    """The order if the user sees it as its merchant; buyers and staff get 404 here."""
    try:
        order, role = order_selectors.order_access(order_no=order_no, viewer=Viewer(user=request.user))
    except OrderNotFound:
        raise Http404 from None
    if role != MERCHANT:
        raise Http404
    return order


_NOTICE = "kadun_merchant_order_notice"


def _done(request, order, section: str, text: str):
    """After a change: back to the order page at ``section`` (POST → redirect → GET), where
    ``text`` is shown once, inside that section (a session flash, dropped when shown)."""
    request.session[_NOTICE] = {"order": order.order_no, "section": section, "text": text}
    return redirect(reverse("merchants:order", args=[order.order_no]) + f"#{section}")


def _notice(request, order) -> tuple[str, str]:
    notice = request.session.get(_NOTICE)
    if not notice or notice.get("order") != order.order_no:
        return "", ""
    del request.session[_NOTICE]
    return notice["section"], notice["text"]


@merchant_page
def order_list(request, shop):
    filters = OrderFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    page = keyset_page(order_selectors.orders_of_shop(shop=shop, status=status or None).only(*order_selectors.LIST_FIELDS),
                       before=id_param(request, "before"), after=id_param(request, "after"), size=ORDERS_PER_PAGE)
    rows = [{"order": o, "amount": fen_to_yuan(o.amount), "status": _status(o.status)} for o in page.items]
    return render(request, "merchants/order_list.html", {
        "shop": shop, "filters": filters, "status": status, "rows": rows, **page.urls({"status": status}),
    })


# --- one order ----------------------------------------------------------------------------


def _buyer_inputs(order) -> list[dict]:
    values = dict(order.buyer_inputs or {})
    rows = []
    for spec in order.product.buyer_fields or []:
        if spec["name"] in values:
            rows.append({"label": spec["label"], "value": values.pop(spec["name"])})
    rows += [{"label": name, "value": value} for name, value in values.items()]
    return rows


def _events(order) -> list[dict]:
    return [
        {
            "event": e,
            "label": event_label(e.kind),
            "actor": actor_label(e.actor),
            "from": _status(e.from_status) if e.from_status else None,
            "to": _status(e.to_status) if e.to_status else None,
        }
        for e in order_selectors.events_of(order)
    ]


def _milestones(order) -> dict:
    """The milestones frozen onto the order at purchase (not the product's current rules), the
    one that can be marked next, and the buyer's refundable share now and after it."""
    steps = ((order.policy_snapshot or {}).get("rules") or {}).get("milestones") or [] if not order.is_auto else []

    def share(bps: int) -> dict:
        return {"percent": percent(bps), "amount": fen_to_yuan(min(order.amount - order.refunded_amount, order.amount * bps // 10000))}

    rows = [
        {"no": n, "name": m["name"], "percent": percent(m["refundable_bps"]), "reached": n <= order.milestone}
        for n, m in enumerate(steps, start=1)
    ]
    reached = order.milestone
    nxt = rows[reached] if reached < len(rows) and order.status == OrderStatus.IN_SERVICE else None
    return {
        "rows": rows,
        "next": nxt,
        "next_share": share(steps[reached]["refundable_bps"]) if nxt else None,
        "current_share": share(steps[reached - 1]["refundable_bps"] if reached else 10000),
    }


def _payout(order) -> dict | None:
    """What the merchant gets for this order. Before confirmation: what 确认收货 will book (the
    same fee_of as order_confirm, on what is left after refunds). After it: what the ledger booked
    to the shop for this order (pending + available) and the fee taken."""
    bps = settings.KADUN_PLATFORM_FEE_BPS
    if order.confirmed_at:
        received = sum(sum_for_ref(code=code, ref_type="order", ref_id=order.pk)
                       for code in (codes.merchant_pending(order.shop_id), codes.merchant_available(order.shop_id)))
        return {"booked": True, "net": fen_to_yuan(received), "fee": fen_to_yuan(order.fee)}
    if order.status in HELD:
        base = order.amount - order.refunded_amount
        fee = fee_of(base, bps)
        return {"booked": False, "net": fen_to_yuan(base - fee), "fee": fen_to_yuan(fee), "rate": percent(bps)}
    return None


def _service_due(order, now) -> dict | None:
    if order.status not in (OrderStatus.PAID, OrderStatus.IN_SERVICE):
        return None
    due = order_selectors.service_due_at(order)
    if due is None:
        return None
    return {"at": due, "remaining": remaining_text(due, now), "urgency": urgency(due, now)}


def _order_page(request, shop, order, *, deliver_form=None, error: tuple[str, str] | None = None, status: int = 200):
    """``error``: (section, message) of a refused action, shown inside that section."""
    request.kadun_sensitive = True  # buyer inputs may hold account details
    count_open_refunds(request, shop)
    manual = not order.is_auto
    now = clock.now()
    refunds = [
        {"request": r, "status": RequestStatus(r.status).label if r.status in RequestStatus.values else r.status, "amount": fen_to_yuan(r.amount_requested)}
        for r in refund_selectors.requests_of_order(order)
    ]
    section, message = error or ("", "")
    done_section, done_text = _notice(request, order)
    return render(request, "merchants/order_detail.html", {
        "shop": shop,
        "order": order,
        "status": _status(order.status),
        "money": {
            "unit_price": fen_to_yuan(order.unit_price),
            "amount": fen_to_yuan(order.amount),
            "fee": fen_to_yuan(order.fee),
            "refunded": fen_to_yuan(order.refunded_amount),
        },
        "payout": _payout(order),
        "service_due": _service_due(order, now),
        "now": now,
        "events": _events(order),
        "buyer_inputs": _buyer_inputs(order) if manual else [],
        # Masked, with the first-reveal time only: never the plaintext, the IP or the user agent.
        "keys": inventory_selectors.keys_of_order(order) if order.is_auto else [],
        "can_accept": manual and order.status == OrderStatus.PAID,
        "can_deliver": manual and order.status == OrderStatus.IN_SERVICE,
        "deliver_form": deliver_form or DeliverForm(),
        "milestones": _milestones(order) if manual else None,
        "handle_error": message if section == HANDLE else "",
        "milestone_error": message if section == MILESTONES else "",
        "handle_done": done_text if done_section == HANDLE else "",
        "milestone_done": done_text if done_section == MILESTONES else "",
        "refunds": refunds,
        "role": MERCHANT,
        **_case_panel(request, order),
    }, status=status)


def _case_panel(request, order) -> dict:
    """售后工单 on the order: the open case's box and link, or the order chat (cases' template)."""
    from kadun.cases.panels import order_panel

    return order_panel(request, order, MERCHANT)


# Order pages check the order first: whoever is not its merchant (its buyer, staff, another
# merchant, a user without a shop) gets the same 404. The merchant's shop is the order's shop.


@login_required
def order_detail(request, order_no: str):
    order = _merchant_order(request, order_no)
    return _order_page(request, order.shop, order)


@login_required
@require_POST
def order_accept(request, order_no: str):
    order = _merchant_order(request, order_no)
    try:
        order_services.order_accept(order=order, shop=order.shop)
    except DomainError as exc:
        order.refresh_from_db()
        return _order_page(request, order.shop, order, error=(HANDLE, exc.message), status=exc.status)
    return _done(request, order, HANDLE, _("已接单，请尽快完成服务并发货。"))


@login_required
@require_POST
def order_deliver(request, order_no: str):
    order = _merchant_order(request, order_no)
    form = DeliverForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            order_services.order_deliver(order=order, shop=order.shop, note=form.cleaned_data["note"], image=form.cleaned_data["image"])
        except DomainError as exc:
            status = exc.status
            order.refresh_from_db()
            if order.status == OrderStatus.IN_SERVICE:
                form.add_error(None, exc.message)  # shown in the deliver form
            else:  # no deliver form on the page now (not accepted yet, refunded meanwhile)
                return _order_page(request, order.shop, order, error=(HANDLE, exc.message), status=status)
        else:
            messages.success(request, _("已发货，买家验货期开始计时。"))
            return redirect("merchants:order", order_no=order.order_no)
    order.refresh_from_db()
    return _order_page(request, order.shop, order, deliver_form=form, status=status)


@login_required
@require_POST
def order_milestone(request, order_no: str):
    """标记进度: the merchant marks the next milestone of the order's frozen refund rules."""
    order = _merchant_order(request, order_no)
    try:
        milestone = int(request.POST.get("milestone", ""))
    except ValueError:
        milestone = 0
    try:
        order_services.order_milestone(order=order, shop=order.shop, milestone=milestone)
    except DomainError as exc:
        order.refresh_from_db()
        return _order_page(request, order.shop, order, error=(MILESTONES, exc.message), status=exc.status)
    steps = ((order.policy_snapshot or {}).get("rules") or {}).get("milestones") or []
    return _done(request, order, MILESTONES, _("已标记「%(name)s」完成。") % {"name": steps[milestone - 1]["name"]})
