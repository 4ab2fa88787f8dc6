"""商家后台 · 退款售后: the refund queue and one request with the merchant's answers. (The
product's refund rules and 验货 checker editors: ``views_rules``.)

Every page is read through the merchant's own shop (``shop_of``): a request or order of another
shop is a 404, the same answer as for one that does not exist. Writes go through
``aftersales.services``; their DomainError messages are shown as they are
and, since each service call is one transaction, nothing changes when one is refused.
"""
from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kadun.aftersales import selectors
from kadun.aftersales import services
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.states import OPEN, MerchantAction, Reason, RequestStatus
from kadun.catalog import policies
from kadun.catalog import selectors as catalog_selectors
from kadun.core import clock
from kadun.core.pagination import id_param, keyset_page
from kadun.core.errors import DomainError
from kadun.core.money import fen_to_yuan, yuan_to_fen
from kadun.inventory import selectors as inventory_selectors
from kadun.merchants.countdown import remaining_text
from kadun.merchants.countdown import urgency as _urgency
from kadun.merchants.access import merchant_page
from kadun.orders.selectors import Viewer

CLOSED_PER_PAGE = 20
# What the queue's rows never show: JSON and long text, decoded for nothing on every row.
_LIST_DEFERRED = ("statement", "key_ids", "clauses", "explanation", "merchant_note",
                  "order__policy_snapshot", "order__buyer_inputs", "order__delivery_note", "order__query_password")
OPEN_PER_PAGE = 50
FULFIL = "fulfil"
_ACTORS = {"buyer": gettext_lazy("买家"), "merchant": gettext_lazy("商家"), "system": gettext_lazy("系统"), "staff": gettext_lazy("平台")}
_STATUS_BADGE = {
    RequestStatus.AWAITING_MERCHANT: "warn",
    RequestStatus.AWAITING_REPLACEMENT: "warn",
    RequestStatus.APPROVED: "bad",
    RequestStatus.APPROVED_BY_DEFAULT: "bad",
    RequestStatus.PARTIALLY_APPROVED: "bad",
    RequestStatus.BREACH_REFUNDED: "bad",
    RequestStatus.REPLACED: "ok",
    RequestStatus.REJECTED: "ok",
    RequestStatus.WITHDRAWN: "",
    RequestStatus.NOT_ELIGIBLE: "",
    RequestStatus.PLATFORM_REVIEW: "warn",
}
_CHECKERS = {"format": gettext_lazy("格式校验"), "http": gettext_lazy("HTTP 接口")}
_VERIFY_RESULTS = {"valid": gettext_lazy("有效"), "used": gettext_lazy("已被使用"), "invalid": gettext_lazy("无效"), "error": gettext_lazy("验货失败")}


# --- helpers ------------------------------------------------------------------------------


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


def deadline_of(refund) -> dt.datetime | None:
    """The deadline the merchant is racing: answer by, or replace by."""
    if refund.status == RequestStatus.AWAITING_MERCHANT:
        return refund.respond_by
    if refund.status == RequestStatus.AWAITING_REPLACEMENT:
        return refund.replace_by
    return None


def _row(refund, now: dt.datetime) -> dict:
    deadline = deadline_of(refund)
    return {
        "request": refund,
        "reason": _label(Reason, refund.reason),
        "status": _label(RequestStatus, refund.status),
        "badge": _STATUS_BADGE.get(refund.status, ""),
        "amount": fen_to_yuan(refund.amount_requested),
        "refunded": fen_to_yuan(refund.amount_refunded),
        "deadline": deadline,
        "deadline_kind": _("补发期限") if refund.status == RequestStatus.AWAITING_REPLACEMENT else _("回应期限"),
        "remaining": remaining_text(deadline, now),
        "urgency": _urgency(deadline, now),
    }


def _merchant_request(request, shop, request_no: str):
    """The refund request if it is about an order of this merchant's shop, else 404."""
    try:
        refund, _role = selectors.request_access(request_no=request_no, viewer=Viewer(user=request.user))
    except RequestNotFound:
        raise Http404 from None
    if refund.order.shop_id != shop.pk:
        raise Http404
    return refund


# --- queue --------------------------------------------------------------------------------


@merchant_page
def queue(request, shop):
    now = clock.now()
    show_all = request.GET.get("all") == "1"
    # Nearest deadline first (a promised replacement races replace_by, not its old respond_by),
    # OPEN_PER_PAGE at a time: a page costs the same however long the queue.
    open_page = Paginator(selectors.merchant_queue(shop=shop, open_only=True).defer(*_LIST_DEFERRED), OPEN_PER_PAGE).get_page(
        request.GET.get("open_page"))
    open_rows = [_row(r, now) for r in open_page.object_list]
    closed_rows, pager = [], {}
    if show_all:
        closed = selectors.merchant_queue(shop=shop, open_only=False).exclude(status__in=list(OPEN)).defer(*_LIST_DEFERRED)
        page = keyset_page(closed, before=id_param(request, "before"), after=id_param(request, "after"), size=CLOSED_PER_PAGE)
        closed_rows = [_row(r, now) for r in page.items]
        pager = page.urls({"all": "1"})
    return render(request, "aftersales/merchant_queue.html", {
        "shop": shop, "open_rows": open_rows, "open_page": open_page, "show_all": show_all, "closed_rows": closed_rows, "now": now, **pager,
    })


# --- one request --------------------------------------------------------------------------


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class RespondForm(forms.Form):
    """The shape of the merchant's answer; the rules (amounts, hours, the reason's length, the
    images) are the service's."""

    action = forms.ChoiceField(choices=[*MerchantAction.choices, (FULFIL, gettext_lazy("补发"))])
    amount = forms.CharField(label=gettext_lazy("部分退款金额（元）"), required=False, max_length=20)
    hours = forms.IntegerField(label=gettext_lazy("补发时限（小时）"), required=False)
    note = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=1000)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == MerchantAction.PARTIAL:
            text = (data.get("amount") or "").strip()
            if not text:
                self.add_error("amount", _("请填写部分退款金额。"))
            else:
                try:
                    data["amount_fen"] = yuan_to_fen(text)
                except DomainError as exc:
                    self.add_error("amount", exc.message)
        if action == MerchantAction.PROMISE and data.get("hours") is None and "hours" not in self.errors:
            self.add_error("hours", _("请填写补发时限（小时）。"))
        return data


def _detail_page(request, shop, refund, *, form=None, status: int = 200):
    request.kadun_sensitive = True  # the buyer's statement and evidence
    order = refund.order
    now = clock.now()
    snapshot = order.policy_snapshot or {}
    rules = snapshot.get("rules") or {}
    key_ids = set(refund.key_ids or [])
    keys = [k for k in inventory_selectors.keys_of_order(order) if k["id"] in key_ids] if order.is_auto else []
    reports = [
        {"report": v, "result": _VERIFY_RESULTS.get(v.result, v.result), "checker": _CHECKERS.get(v.checker, v.checker)}
        for v in inventory_selectors.verifications_of(order)
        if not key_ids or v.key_id in key_ids
    ]
    index_of = {k["id"]: k["index"] for k in inventory_selectors.keys_of_order(order)} if reports else {}
    for row in reports:
        row["index"] = index_of.get(row["report"].key_id)
    cited = [c for c in snapshot.get("clauses", []) if c["no"] in set(refund.clauses or [])]
    evidence = [
        {"evidence": e, "party": _ACTORS.get(e.party, e.party)}
        for e in refund.evidence.order_by("id")
    ]
    events = [{"event": e, "actor": _ACTORS.get(e.actor, e.actor)} for e in refund.events.all()]
    awaiting = refund.status == RequestStatus.AWAITING_MERCHANT
    answers = selectors.merchant_answers_of(refund)
    posted = form.data.get("action") if form is not None and form.is_bound else ""
    return render(request, "aftersales/merchant_request.html", {
        "shop": shop,
        "refund": refund,
        "row": _row(refund, now),
        "order": order,
        "order_amount": fen_to_yuan(order.amount),
        "order_refunded": fen_to_yuan(order.refunded_amount),
        "keys": keys,
        "reports": reports,
        "evidence": evidence,
        "cited": cited,
        "policy_text": snapshot.get("text", ""),
        "policy_version": snapshot.get("policy_version"),
        "policy_hash": order.policy_hash,
        "policy_intact": bool(snapshot) and policies.verify_snapshot(snapshot, order.policy_hash),
        "events": events,
        "awaiting_merchant": awaiting,
        "awaiting_replacement": refund.status == RequestStatus.AWAITING_REPLACEMENT,
        "can_replace": order.is_auto and bool(refund.key_ids),
        # Only the answers the order's frozen rules allow are offered (the service refuses others).
        "allowed": answers.actions if answers else (),
        "allowed_text": _("、").join(str(_label(MerchantAction, a)) for a in answers.actions) if answers else "",
        "allowed_clause": answers.clause_no if answers else None,
        "stock": catalog_selectors.stock_of(order.product_id) if order.is_auto else None,
        "replacement_hours": rules.get("replacement_hours"),
        "form": form,
        "posted": posted,
        "max_images": services.MAX_IMAGES,
    }, status=status)


@merchant_page
@require_http_methods(["GET", "POST"])
def request_detail(request, shop, request_no: str):
    refund = _merchant_request(request, shop, request_no)
    if request.method == "GET":
        return _detail_page(request, shop, refund)
    form = RespondForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, shop, refund, form=form, status=400)
    action = form.cleaned_data["action"]
    try:
        if action == FULFIL:
            refund = services.refund_request_fulfil(request=refund, shop=shop)
        else:
            refund = services.refund_request_respond(
                request=refund, shop=shop, action=action,
                amount=form.cleaned_data.get("amount_fen"), hours=form.cleaned_data.get("hours"),
                note=form.cleaned_data.get("note") or "", images=request.FILES.getlist("images"),
            )
    except DomainError as exc:
        form.add_error(None, exc.message)
        refund = _merchant_request(request, shop, request_no)  # as it is now
        return _detail_page(request, shop, refund, form=form, status=400)
    messages.success(request, _("已处理：%(status)s。") % {"status": _label(RequestStatus, refund.status)})
    return redirect("aftersales:merchant_request", request_no=refund.request_no)
