"""Pages of the public complaint board (曝光): the board with its filters, one complaint, the
buyer's publish form (from the order page), the buyer's withdrawal and the merchant's reply.

Anyone reads the board and a published complaint; the order's gate (``orders.selectors.
order_access``) says who is its buyer or merchant. Every action is a POST that redirects on
success; a refused one renders the page again with the service's message and its status."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kadun.catalog.states import Category
from kadun.core.errors import DomainError
from kadun.core.pagination import id_param
from kadun.evidence import complaints
from kadun.evidence import selectors_complaints as reads
from kadun.evidence.complaints_display import fields, present, timeline
from kadun.evidence.complaints_errors import ComplaintNotFound
from kadun.evidence.complaints_states import REDACTION_MARK, ModerationReason, PublicOutcome
from kadun.merchants.selectors import shop_of
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import BUYER, MERCHANT, order_access, viewer_of

PER_PAGE = 20
PERIOD_CHOICES = (("30", _("近30天")), ("90", _("近90天")), ("365", _("近一年")))


def _filters(request) -> dict:
    get = request.GET
    shop = get.get("shop", "")
    return {
        "shop_id": int(shop) if shop.isascii() and shop.isdigit() and len(shop) < 12 else None,
        "category": get.get("category", "") if get.get("category", "") in Category.values else "",
        "outcome": get.get("outcome", "") if get.get("outcome", "") in PublicOutcome.values else "",
        "period": get.get("period", "") if get.get("period", "") in reads.PERIODS else "",
    }


@require_safe
def board(request):
    filters = _filters(request)
    page = reads.board_page(before=id_param(request, "before"), after=id_param(request, "after"), size=PER_PAGE, **filters)
    rows = [{"c": c, "fields": None if c.status == "withdrawn" else fields(c.facts)} for c in page.items]
    kept = {"shop": filters["shop_id"] or "", "category": filters["category"], "outcome": filters["outcome"], "period": filters["period"]}
    shop_name = page.items[0].shop.name if filters["shop_id"] and page.items else ""
    return render(request, "evidence/complaints_board.html", {
        "rows": rows, "filters": kept, "shop_name": shop_name, **page.urls(kept),
        "categories": Category.choices, "outcomes": PublicOutcome.choices, "periods": PERIOD_CHOICES,
        "reasons": ModerationReason.choices,
    })


def _complaint(request, complaint_no: str):
    try:
        return reads.complaint_access(complaint_no=complaint_no, viewer=viewer_of(request))
    except ComplaintNotFound:
        raise Http404 from None


def _detail(request, complaint, role, *, error: str = "", status: int = 200, reply_text: str = ""):
    reply = reads.reply_of(complaint)
    shown = present(complaint, role=role, reply=reply)
    may_reply = role == MERCHANT and complaint.status == "published" and reply is None
    if not complaint.public:
        request.kadun_sensitive = True
    return render(request, "evidence/complaint.html", {
        "c": complaint, "shown": shown, "role": role, "may_reply": may_reply, "error": error, "reply_text": reply_text,
        "may_withdraw": role == BUYER and complaint.status in ("pending", "published"),
        "reasons": ModerationReason.choices, "reply_max": settings.KADUN_COMPLAINT_REPLY_MAX,
    }, status=status)


@require_safe
def detail(request, complaint_no: str):
    complaint, role = _complaint(request, complaint_no)
    return _detail(request, complaint, role)


@require_http_methods(["GET", "POST"])
def new(request, order_no: str):
    """The buyer's form: the verified fields the code built (read-only), and their own words."""
    try:
        order, role = order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    request.kadun_sensitive = True
    existing = reads.complaint_of_order(order)
    if existing is not None:
        return redirect("complaints:detail", existing.complaint_no)
    error, status, statement = "", 200, ""
    if request.method == "POST":
        statement = request.POST.get("statement", "")
        try:
            complaint = complaints.complaint_publish(order=order, role=role, author=request.user if request.user.is_authenticated else None,
                                                     statement=statement)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("曝光已提交，平台审核后公开（只审核个人信息、辱骂和与订单无关的内容）。"))
            return redirect("complaints:detail", complaint.complaint_no)
    data, refusal = reads.preview(order)
    if refusal is not None and not error:
        error, status = refusal.message, refusal.status
    return render(request, "evidence/complaint_new.html", {
        "order": order, "data": data, "fields": fields(data) if data else [], "timeline": timeline(data) if data else [],
        "error": error, "statement": statement, "min": settings.KADUN_COMPLAINT_STATEMENT_MIN, "max": settings.KADUN_COMPLAINT_STATEMENT_MAX,
        "reasons": ModerationReason.choices,
    }, status=status)


@require_POST
def withdraw(request, complaint_no: str):
    complaint, role = _complaint(request, complaint_no)
    try:
        complaints.complaint_withdraw(complaint=complaint, role=role, author=request.user if request.user.is_authenticated else None)
    except DomainError as exc:
        return _detail(request, complaint, role, error=exc.message, status=exc.status)
    messages.success(request, _("曝光已撤回。撤回记录已存证，页面保留撤回提示。"))
    return redirect("complaints:detail", complaint.complaint_no)


@require_POST
def reply(request, complaint_no: str):
    complaint, role = _complaint(request, complaint_no)
    if role != MERCHANT:
        raise Http404
    body = request.POST.get("body", "")
    try:
        complaints.complaint_reply(complaint=complaint, shop=shop_of(request.user), author=request.user, body=body)
    except DomainError as exc:
        return _detail(request, complaint, role, error=exc.message, status=exc.status, reply_text=body)
    messages.success(request, _("回复已公开。"))
    return redirect(reverse("complaints:detail", args=[complaint.complaint_no]) + "#reply")


__all__ = ["board", "detail", "new", "withdraw", "reply", "REDACTION_MARK"]
