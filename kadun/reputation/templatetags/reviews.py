"""评价 template tags for other apps' pages: the review box on the order page
(``{% review_box order role %}``), a shop's reviews on its public page (``{% shop_reviews shop.pk %}``,
reading ``?reviews=all|bad|keyword&rpage=N``) and the rules page's section (``{% review_rules %}``)."""
from django import template
from django.conf import settings

from kadun.reputation import keywords
from kadun.reputation import selectors_reviews as reads
from kadun.reputation import services_reviews as reviews

register = template.Library()


@register.inclusion_tag("reputation/_review_box.html", takes_context=True)
def review_box(context, order, role):
    review = reads.review_of_order(order.pk)
    can_review = role == "buyer" and review is None and reviews.reviewable(order)
    return {"request": context.get("request"), "order": order, "role": role, "review": review, "can_review": can_review,
            "can_followup": role == "buyer" and review is not None and reviews.followup_open(review),
            "text_max": settings.KADUN_REVIEW_TEXT_MAX, "followup_days": settings.KADUN_REVIEW_FOLLOWUP_DAYS,
            "reasons": reviews.HIDE_REASONS, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("reputation/_shop_reviews.html", takes_context=True)
def shop_reviews(context, shop_id):
    request = context.get("request")
    get = request.GET if request is not None else {}
    chosen = get.get("reviews", "all") if get.get("reviews", "all") in reads.FILTERS else "all"
    page = get.get("rpage", "1")
    page = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1
    rows, more = reads.shop_reviews_page(shop_id, filter=chosen, page=page)
    return {"rows": rows, "more": more, "page": page, "chosen": chosen, "shop_id": shop_id,
            "keyword_counts": reads.keyword_counts(shop_id, days=settings.KADUN_REVIEW_KEYWORD_DAYS),
            "days": settings.KADUN_REVIEW_KEYWORD_DAYS, "reasons": reviews.HIDE_REASONS}


@register.inclusion_tag("reputation/_review_rules.html")
def review_rules():
    return {"keywords": keywords.published(), "negations": keywords.NEGATIONS, "reasons": reviews.HIDE_REASONS,
            "followup_days": settings.KADUN_REVIEW_FOLLOWUP_DAYS, "text_max": settings.KADUN_REVIEW_TEXT_MAX,
            "days": settings.KADUN_REVIEW_KEYWORD_DAYS}


@register.filter
def hide_label(code):
    return reviews.HIDE_REASONS.get(code, code)
