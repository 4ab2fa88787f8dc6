"""评价 API: the buyer's review and follow-up (the order's buyer: logged in, buyer key, or a guest
with X-Order-Token), the merchant's replies (merchant key or session), a shop's reviews (public,
paged, filters all / bad / keyword), and staff hide / unhide (the logged-in staff member's
session only). There is no endpoint that edits or deletes a review, and none that lets a merchant
sort, pin or filter its reviews."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from ninja import Query, Router
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, OPTIONAL_AUTH, ORDER_AUTH, PUBLIC_AUTH, STAFF_SESSION_AUTH, caller_of, order_token_of, require_session
from kadun.core import api_body
from kadun.core.api_errors import errors
from kadun.merchants import selectors_penalties as penalties
from kadun.merchants.selectors import shop_of
from kadun.orders.selectors import Viewer, order_access
from kadun.reputation import selectors_reviews as reads
from kadun.reputation import services_reviews as reviews
from kadun.reputation.errors import ShopNotFound
from kadun.reputation.schemas_reviews import AuditOut, HideIn, ReplyIn, ReviewIn, ReviewOut, ReviewPageOut, TextIn, UnhideIn

router = Router(tags=["reviews"])

_IMAGE = {"type": "string", "format": "binary", "description": "可选图片：PNG/JPEG/GIF/WebP（按内容识别），不超过 5 MB"}
_REVIEW_FIELDS = {"rating": {"type": "integer", "minimum": 1, "maximum": 5}, "text": {"type": "string", "default": ""}}
_IMAGES = {"type": "array", "items": _IMAGE, "maxItems": 1}
_REVIEW_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["rating"], "properties": _REVIEW_FIELDS}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["rating"], "properties": {**_REVIEW_FIELDS, "images": _IMAGES}}},
}}}


def review_out(r) -> dict:
    hidden = bool(r.hidden_reason)
    return {
        "id": r.pk, "shop_id": r.shop_id, "rating": r.rating, "created_at": r.created_at,
        "text": "" if hidden else r.text, "followup_text": "" if hidden else r.followup_text, "followup_at": r.followup_at,
        "image_url": reverse("reputation:review_image", args=[r.pk]) if r.image and not hidden else "",
        "reply_text": r.reply_text, "reply_at": r.reply_at, "followup_reply_text": r.followup_reply_text, "followup_reply_at": r.followup_reply_at,
        "hidden": hidden, "hidden_notice": f"该评价因{reviews.HIDE_REASONS.get(r.hidden_reason, '')}已被隐藏" if hidden else "",
        "keywords": list(r.keywords or []),
    }


def _order(request, order_no: str):
    caller = caller_of(request)
    order, role = order_access(order_no=order_no, viewer=Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles))
    request.kadun_sensitive = True
    return order, role


@router.post("/orders/{order_no}/review", auth=ORDER_AUTH, openapi_extra={**OPTIONAL_AUTH, **_REVIEW_BODY},
             response={201: ReviewOut, **errors(400, 401, 403, 404, 409, 413, 422)}, summary="评价订单",
             description="仅该订单的买家（登录买家、买家密钥，或持 X-Order-Token 的游客），确认收货后（或发货后退款的订单）每单一次。"
                         "重复提交为 409 already_reviewed，不改变已有评价。评价不能修改或删除。")
def review_create(request, order_no: str):
    order, role = _order(request, order_no)
    data, images = api_body.body_with_images(request, ReviewIn)
    review = reviews.review_create(order=order, role=role, rating=data.rating, text=data.text, image=images[0] if images else None)
    return Status(201, review_out(review))


@router.post("/orders/{order_no}/review/followup", auth=ORDER_AUTH, openapi_extra=OPTIONAL_AUTH,
             response={200: ReviewOut, **errors(400, 401, 403, 404, 409, 422)}, summary="追评",
             description=f"评价后 {settings.KADUN_REVIEW_FOLLOWUP_DAYS} 天内追评一次（409 followup_closed）。")
def review_followup(request, order_no: str, data: TextIn):
    order, role = _order(request, order_no)
    return review_out(reviews.review_followup(order=order, role=role, text=data.text))


@router.post("/merchant/reviews/{int:review_id}/reply", auth=MERCHANT_AUTH,
             response={200: ReviewOut, **errors(400, 401, 403, 404, 409, 422)}, summary="商家回复评价或追评",
             description="对评价和追评各回复一次（409 already_replied）；回复不能修改。只能回复本店的评价（403 not_the_merchant）。")
def review_reply(request, review_id: int, data: ReplyIn):
    shop = shop_of(caller_of(request).user)
    return review_out(reviews.review_reply(review_id=review_id, shop=shop, text=data.text, to_followup=data.to == "followup"))


@router.get("/shops/{int:shop_id}/reviews", auth=PUBLIC_AUTH, response={200: ReviewPageOut, **errors(404, 422)},
            summary="店铺评价（公开）",
            description="最新在前（唯一的排序）。filter：all 全部；bad 差评（1–2 星）；keyword 含风险关键词。被隐藏的评价保留位置，只显示隐藏原因。")
def shop_reviews(request, shop_id: int, filter: str = Query("all", pattern="^(all|bad|keyword)$"), page: int = Query(1, ge=1, le=10000)):  # noqa: A002
    if penalties.shop_public(shop_id) is None:
        raise ShopNotFound()
    rows, more = reads.shop_reviews_page(shop_id, filter=filter, page=page)
    days = settings.KADUN_REVIEW_KEYWORD_DAYS
    return {"shop_id": shop_id, "filter": filter, "page": page, "has_more": more, "keyword_days": days,
            "keyword_counts": [{"phrase": p, "count": n} for p, n in reads.keyword_counts(shop_id, days=days)],
            "items": [review_out(r) for r in rows]}


@router.post("/staff/reviews/{int:review_id}/hide", auth=STAFF_SESSION_AUTH, response={201: AuditOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="平台隐藏评价（仅登录的风控 / 客服 / 管理员）")
def review_hide(request, review_id: int, data: HideIn):
    caller = require_session(request)
    return Status(201, reviews.review_hide(review_id=review_id, staff=caller.user, reason=data.reason, note=data.note))


@router.post("/staff/reviews/{int:review_id}/unhide", auth=STAFF_SESSION_AUTH, response={201: AuditOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="平台恢复显示评价（仅登录的风控 / 客服 / 管理员）")
def review_unhide(request, review_id: int, data: UnhideIn):
    caller = require_session(request)
    return Status(201, reviews.review_unhide(review_id=review_id, staff=caller.user, note=data.note))
