"""Buyer and merchant pages of after-sales cases (售后工单): opening one from the order page, the
order chat, 申请平台介入 on an answered refund request, the case page (buyer's, and the merchant's
in the merchant layout), the merchant's case list, and attachments.

Who may see what is the order's gate (``orders.selectors.order_access`` through
``cases.selectors.case_access``): a guest holding the access link or a lookup grant is the buyer.
Every action is a POST that redirects (PRG) on success; a refused one renders the page again
with the service's Chinese message beside the form, with its HTTP status. Nothing changes then:
each service call is one transaction."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadun.aftersales import selectors as refund_reads
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.states import ANSWERED
from kadun.cases import attachments, draft, forms, negotiation, panels, review, selectors, services, thread
from kadun.cases.errors import CaseNotFound
from kadun.cases.states import MONEY_KINDS, CaseKind, CaseStatus, Party, Remedy, label
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.core.pagination import id_param, keyset_page
from kadun.inventory import selectors as inventory_reads
from kadun.merchants.access import count_open_refunds, merchant_page
from kadun.merchants.countdown import remaining_text, urgency
from kadun.orders import selectors as order_reads
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import BUYER, MERCHANT, STAFF, viewer_of

S = CaseStatus
CLOSED_PER_PAGE = 20
# What the merchant's case list shows (the order only for its number).
LIST_FIELDS = ("case_no", "kind", "status", "awaiting", "deadline_at", "outcome", "closed_at", "opened_at", "order__order_no", "order__title")


def _author(request):
    return request.user if request.user.is_authenticated else None


def _order(request, order_no: str):
    try:
        return order_reads.order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None


def _case(request, case_no: str):
    try:
        return selectors.case_access(case_no=case_no, viewer=viewer_of(request))
    except CaseNotFound:
        raise Http404 from None


def _case_url(case, role: str) -> str:
    return reverse("cases:merchant_case" if role == MERCHANT else "cases:case", args=[case.case_no])


def _order_url(order, role: str) -> str:
    return reverse("merchants:order" if role == MERCHANT else "web:order", args=[order.order_no])


# --- opening a case ------------------------------------------------------------------------


def _open_form(request, order, *, values: dict, error: DomainError | None = None):
    kinds = panels.kinds_for(order)
    usual = CaseKind.KEY_PROBLEM if order.is_auto else CaseKind.SERVICE_DISPUTE
    default = usual if usual in {k["value"] for k in kinds} else kinds[0]["value"]
    kind = values.get("kind") if values.get("kind") in {k["value"] for k in kinds} else default
    money = kind in MONEY_KINDS
    remedy = values.get("remedy") if money and values.get("remedy") in Remedy.values and values.get("remedy") != Remedy.REJECTED else (
        Remedy.FULL_REFUND if money else "")
    statement = values.get("statement") or draft.statement_draft(order=order, kind=kind, remedy=remedy)
    keys = [k for k in inventory_reads.keys_of_order(order) if k["active"]] if order.is_auto and money else []
    request.kadun_sensitive = True
    return render(request, "cases/open.html", {
        "order": order, "kinds": kinds, "kind": kind, "money": money, "remedies": panels.remedies_for(order), "remedy": remedy,
        "statement": statement, "keys": keys, "key_ids": values.get("key_ids"), "amount": values.get("amount", ""),
        "remaining": max(0, order.amount - order.refunded_amount), "rules": settings.KADUN_CASE_RULES[kind],
        "to_platform": kind in (CaseKind.INQUIRY, CaseKind.COMPLAINT), "error": error, "max_images": forms.MAX_IMAGES,
    }, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
def case_new(request, order_no: str):
    """申请售后: the form (GET; ?kind=&remedy= redraft the statement), and opening the case (POST)."""
    order, role = _order(request, order_no)
    if role != BUYER:
        raise Http404
    open_case = selectors.open_case_of(order)
    if open_case is not None:
        messages.info(request, _("该订单已有处理中的售后工单，请在工单中继续沟通。"))
        return redirect("cases:case", open_case.case_no)
    if order.status not in services.CASE_SOURCES:
        messages.error(request, _("该订单尚未支付或已关闭，不能发起售后。"))
        return redirect("web:order", order.order_no)
    if request.method == "GET":
        return _open_form(request, order, values={"kind": request.GET.get("kind"), "remedy": request.GET.get("remedy")})
    try:
        case = services.case_open(order=order, images=forms.images_of(request), author=_author(request), **forms.open_fields(request.POST))
    except DomainError as exc:
        return _open_form(request, order, values=forms.open_values(request.POST), error=exc)
    messages.success(request, _("售后工单已提交。"))
    return redirect("cases:case", case.case_no)


def _answered_request(request, request_no: str):
    try:
        refund_request, role = refund_reads.request_access(request_no=request_no, viewer=viewer_of(request))
    except RequestNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    return refund_request


@require_http_methods(["GET", "POST"])
def escalate(request, request_no: str):
    """申请平台介入 on a refund request the merchant rejected or approved in part."""
    refund_request = _answered_request(request, request_no)
    order = refund_request.order
    open_case = selectors.open_case_of(order)
    if open_case is not None:
        return redirect("cases:case", open_case.case_no)
    error, statement = None, None
    if request.method == "POST":
        try:
            case = services.case_escalate_request(
                order=order, request_no=refund_request.request_no, statement=request.POST.get("statement", ""),
                images=forms.images_of(request), author=_author(request),
            )
        except DomainError as exc:
            error, statement = exc, request.POST.get("statement", "")[:4000]
        else:
            messages.success(request, _("已申请平台介入，平台客服将尽快处理。"))
            return redirect("cases:case", case.case_no)
    if statement is None:
        statement = draft.statement_draft(order=order, kind=panels.escalation_kind(refund_request.reason), remedy=Remedy.FULL_REFUND,
                                          refund_request=refund_request)
    request.kadun_sensitive = True
    return render(request, "cases/escalate.html", {
        "order": order, "refund_request": refund_request, "answered": refund_request.status in ANSWERED,
        "escalation": {"request_no": refund_request.request_no, "statement": statement, "request": refund_request},
        "error": error, "max_images": forms.MAX_IMAGES,
    }, status=error.status if error else 200)


# --- the order chat and case messages -------------------------------------------------------


@require_POST
def order_message(request, order_no: str):
    """A message on the order's thread (the order chat, or the open case's thread)."""
    order, role = _order(request, order_no)
    if role not in (BUYER, MERCHANT):
        raise Http404
    on_case = request.POST.get("from") == "case"
    try:
        message = thread.message_post(order=order, party=role, author=_author(request), body=request.POST.get("body", ""),
                                      images=forms.images_of(request))
    except DomainError as exc:
        case = selectors.open_case_of(order)
        if on_case and case is not None:
            case, role = _case(request, case.case_no)
            return _case_page(request, case, role, error={"action": "message", "message": exc.message, "code": exc.code,
                                                          "body": request.POST.get("body", "")[:4000]}, status=exc.status)
        request.session[panels.CHAT_ERROR] = {"order": order.order_no, "message": exc.message, "code": exc.code,
                                               "body": request.POST.get("body", "")[:4000]}
        return redirect(_order_url(order, role) + "#order-chat")
    if message.case_id:
        case = selectors.open_case_of(order)
        if case is not None:
            return redirect(_case_url(case, role) + f"#msg-{len(selectors.thread(order, role=role))}")
    return redirect(_order_url(order, role) + "#order-chat")


# --- the case page ----------------------------------------------------------------------------


def _case_page(request, case, role: str, *, error: dict | None = None, status: int = 200):
    context = panels.case_context(case, role)
    keys = inventory_reads.keys_of_order(case.order) if case.order.is_auto else []
    context.update({
        "keys": [k for k in keys if not case.key_ids or k["id"] in case.key_ids],
        "error": error, "order_url": _order_url(case.order, role), "max_images": forms.MAX_IMAGES,
    })
    request.kadun_sensitive = True
    if role == MERCHANT:
        from kadun.merchants import selectors as merchant_reads

        context["shop"] = shop = merchant_reads.shop_of(request.user)
        count_open_refunds(request, shop)
        return render(request, "cases/merchant_case.html", context, status=status)
    return render(request, "cases/case.html", context, status=status)


@require_GET
def case_page(request, case_no: str):
    """The buyer's case page (guests through the order's access link or lookup grant)."""
    case, role = _case(request, case_no)
    if role == STAFF:
        return redirect("cases:staff_case", case.case_no)
    if role == MERCHANT:
        return redirect("cases:merchant_case", case.case_no)
    return _case_page(request, case, role)


@merchant_page
def merchant_case(request, shop, case_no: str):
    case, role = _case(request, case_no)
    if role != MERCHANT or case.shop_id != shop.pk:
        raise Http404
    return _case_page(request, case, role)


def _merchant_row(case, now) -> dict:
    return {
        "case": case, "kind": label(CaseKind, case.kind), "status": label(CaseStatus, case.status),
        "awaiting": (_("申诉期") if case.awaiting == Party.SYSTEM else panels.PARTY_LABELS.get(case.awaiting, "")) if case.status != S.CLOSED else "",
        "outcome": label(panels.Outcome, case.outcome) if case.outcome else "",
        "remaining": remaining_text(case.deadline_at, now), "urgency": urgency(case.deadline_at, now),
        "mine": case.awaiting == Party.MERCHANT,
    }


@merchant_page
def merchant_list(request, shop):
    """售后工单: the shop's open cases, the nearest deadline first; then the closed ones."""
    now = clock.now()
    open_rows = [_merchant_row(c, now) for c in selectors.merchant_cases(shop=shop, open_only=True).only(*LIST_FIELDS)[:200]]
    # Closed cases by keyset on the id (no COUNT, no OFFSET): a page costs the same at any depth.
    closed = selectors.merchant_cases(shop=shop).filter(status=S.CLOSED).only(*LIST_FIELDS)
    page = keyset_page(closed, before=id_param(request, "before"), after=id_param(request, "after"), size=CLOSED_PER_PAGE)
    return render(request, "cases/merchant_list.html", {
        "shop": shop, "open_rows": open_rows, "closed_rows": [_merchant_row(c, now) for c in page.items], "now": now, **page.urls({}),
    })


# --- actions ----------------------------------------------------------------------------------

BUYER_ACTIONS = ("accept", "reject", "ask_platform", "withdraw", "appeal", "waive")
MERCHANT_ACTIONS = ("offer", "ask_platform", "fulfil", "appeal", "waive")


def _act(case, role: str, action: str, post, author) -> str:
    """Carry out one action through its service; the notice shown after it."""
    party = Party.BUYER if role == BUYER else Party.MERCHANT
    if action == "accept":
        negotiation.offer_accept(case=case, offer_id=forms.offer_id(post), author=author)
        return _("已接受方案，已按方案执行。")
    if action == "reject":
        negotiation.offer_reject(case=case, offer_id=forms.offer_id(post), author=author, note=post.get("note", ""))
        return _("已拒绝方案，等待商家回复。")
    if action == "ask_platform":
        services.case_ask_platform(case=case, party=party, author=author)
        return _("已申请平台介入。")
    if action == "withdraw":
        services.case_withdraw(case=case, author=author)
        return _("工单已撤回。")
    if action == "appeal":
        review.case_appeal(case=case, party=party, statement=post.get("statement", ""), author=author)
        return _("已提交申诉，将由另一位仲裁员复核。")
    if action == "waive":
        review.decision_waive(case=case, party=party, author=author)
        return _("已放弃申诉。")
    if action == "offer":
        negotiation.offer_make(case=case, author=author, **forms.offer_fields(post))
        return _("方案已发送给买家。")
    if action == "fulfil":
        services.case_replacement_fulfil(case=case, note=post.get("note", ""), author=author)
        return _("已补发，工单结案。")
    raise Http404


@require_POST
def case_act(request, case_no: str):
    """Every button of the case page: ``action`` names it, checked against the viewer's role."""
    case, role = _case(request, case_no)
    if role not in (BUYER, MERCHANT):
        raise Http404
    action = request.POST.get("action", "")
    if action not in (BUYER_ACTIONS if role == BUYER else MERCHANT_ACTIONS):
        raise PermissionDenied
    try:
        notice = _act(case, role, action, request.POST, _author(request))
    except DomainError as exc:
        case, role = _case(request, case_no)
        values = {k: request.POST.get(k, "")[:4000] for k in ("remedy", "amount", "hours", "note", "statement")}
        return _case_page(request, case, role, error={"action": action, "message": exc.message, "code": exc.code, **values}, status=exc.status)
    messages.success(request, notice)
    return redirect(_case_url(case, role))


@require_GET
def attachment(request, attachment_id: int):
    """A message's picture, for who may see the message (never an internal note's to non-staff)."""
    try:
        item = selectors.attachment_access(attachment_id=attachment_id, viewer=viewer_of(request))
        handle = attachments.open_file(item)
    except (CaseNotFound, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response
