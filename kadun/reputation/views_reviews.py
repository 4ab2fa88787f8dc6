"""评价 pages: the buyer's review and follow-up (POSTs from the order page's review box), the
picture of a review, the merchant's review list with its reply forms (/merchant/reviews/), and the
staff list with hide / unhide (/staff/reviews/). No page edits or deletes a review; the merchant's
list has no sort, no filter but "未回复", no pinning — the order is newest first for everyone.

Every action is a POST that redirects back with the service's message (a refused one changes
nothing)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.aftersales.evidence import sniff_image
from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.merchants.access import merchant_page
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import order_access, viewer_of
from kadun.reputation import review_images
from kadun.reputation import selectors_reviews as reads
from kadun.reputation import services_reviews as reviews


def _order(request, order_no: str):
    try:
        return order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None


def _back(order_no: str):
    return redirect(reverse("web:order", args=[order_no]) + "#review-box")


@require_POST
def review_new(request, order_no: str):
    order, role = _order(request, order_no)
    try:
        reviews.review_create(order=order, role=role, rating=request.POST.get("rating", ""), text=request.POST.get("text", ""),
                              image=request.FILES.get("image"))
        messages.success(request, _("评价已发表。评价不能修改或删除，%(d)s 天内可追评一次。") % {"d": settings.KADUN_REVIEW_FOLLOWUP_DAYS})
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order.order_no)


@require_POST
def review_followup(request, order_no: str):
    order, role = _order(request, order_no)
    try:
        reviews.review_followup(order=order, role=role, text=request.POST.get("text", ""))
        messages.success(request, _("追评已发表。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order.order_no)


@require_safe
def review_image(request, review_id: int):
    """A review's picture: public with the review, gone from view while the review is hidden
    (staff see it in the console's review page)."""
    review = reads.review_by_id(review_id)
    staff = request.user.is_authenticated and getattr(request.user, "staff_role", "")
    if review is None or not review.image or (review.hidden_reason and not staff):
        raise Http404
    data = review_images.read(review.image)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=sniff_image(data[:16]) or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@merchant_page
@require_safe
def merchant_reviews(request, shop):
    unanswered = request.GET.get("unanswered") == "1"
    page = request.GET.get("page", "1")
    rows = list(reads.reviews_of_merchant(shop.pk, unanswered=unanswered)[:200])
    return render(request, "reputation/merchant_reviews.html", {
        "shop": shop, "rows": rows, "unanswered": unanswered, "page": page,
        "keyword_counts": reads.keyword_counts(shop.pk, days=90),
    })


@merchant_page
@require_POST
def merchant_reply(request, shop, review_id: int):
    try:
        reviews.review_reply(review_id=review_id, shop=shop, text=request.POST.get("text", ""),
                             to_followup=request.POST.get("to") == "followup")
        messages.success(request, _("回复已发表，不能修改。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("reputation:merchant_reviews") + f"#review-{review_id}")


@staff_only
@require_safe
def staff_reviews(request):
    hidden = {"1": True, "0": False}.get(request.GET.get("hidden", ""))
    shop = request.GET.get("shop", "")
    shop_id = int(shop) if shop.isascii() and shop.isdigit() and len(shop) < 12 else None
    q = request.GET.get("q", "")[:50]
    rows = list(reads.staff_reviews(hidden=hidden, shop_id=shop_id, q=q)[:100])
    return render(request, "reputation/staff_reviews.html", {
        "rows": rows, "hidden": request.GET.get("hidden", ""), "shop": shop_id or "", "q": q, "reasons": reviews.HIDE_REASONS,
    })


@staff_only
@require_safe
def staff_review(request, review_id: int):
    review = reads.review_by_id(review_id)
    if review is None:
        raise Http404
    return render(request, "reputation/staff_review.html", {
        "review": review, "audits": reads.audits_of(review.pk), "reasons": reviews.HIDE_REASONS,
    })


@staff_only
@require_POST
def staff_hide(request, review_id: int):
    try:
        if request.POST.get("action") == "unhide":
            reviews.review_unhide(review_id=review_id, staff=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("已恢复显示。"))
        else:
            reviews.review_hide(review_id=review_id, staff=request.user, reason=request.POST.get("reason", ""),
                                note=request.POST.get("note", ""))
            messages.success(request, _("已隐藏，评价的位置保留并注明原因。"))
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/error.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
    return redirect("reputation:staff_review", review_id=review_id)
