"""The merchant's own part of a case: its shop's cases, offers in negotiation, and keeping a
replacement promise. (The thread, asking the platform and appeals are the sides' endpoints.)

``/merchant/...`` like the rest of the merchant API: a bearer key with the merchant scope or a
logged-in session; a user without a shop is 403 ``not_a_merchant``; another shop's case is 404."""

from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, caller_of
from kadun.cases import negotiation, selectors, services
from kadun.cases.api import errors as e
from kadun.cases.api.common import Mapped, author, extra, idempotent, merchant_case
from kadun.cases.api.errors import Errors
from kadun.cases.api.out import offer_out, summary_out
from kadun.cases.api.parties import detail
from kadun.cases.schemas import CaseOut, CaseSummaryOut, CaseFulfilIn, CaseOfferIn, CaseOfferOut
from kadun.core.api_pagination import Pagination
from kadun.merchants.selectors import shop_of

router = Router(tags=["cases"])

LIST = Errors.of(e.MERCHANT_CALLER, e.INPUT)


@router.get(
    "/merchant/cases", auth=MERCHANT_AUTH, response={200: list[CaseSummaryOut], **LIST.responses}, openapi_extra=extra(LIST),
    summary="商家：售后工单", description="open_only=true 只列处理中的工单，期限最近的在前；否则全部，最新的在前。",
)
@paginate(Pagination, page_size=50, max_page_size=100)
def merchant_case_list(request, open_only: bool = False):
    shop = shop_of(caller_of(request).user)
    request.kadun_sensitive = True
    return Mapped(selectors.merchant_cases(shop=shop, open_only=open_only).select_related("order", "refund_request"), summary_out)


OFFER = Errors.of(
    e.MERCHANT_CALLER, e.CASE_NOT_FOUND, (400, "action_not_allowed", "下单时冻结的退款规则不允许该方案（message 引用条款）"),
    e.REMEDY_INPUT, e.CASE_STATE, e.IDEMPOTENCY_BUSY, e.INPUT,
)


@router.post(
    "/merchant/cases/{case_no}/offers", auth=MERCHANT_AUTH, response={201: CaseOfferOut, **OFFER.responses},
    openapi_extra=extra(OFFER, idem=True), summary="商家：提出处理方案",
    description=(
        "等待商家回复或协商中，涉及退款的工单。全额退款、部分退款（小于诉求金额）或在 hours 小时内补发，"
        "只能是下单时冻结的退款规则允许的（工单的 offer_remedies）。新方案取代未答复的旧方案；买家 offer_answer_hours 内不答复视为接受。"
    ),
)
@idempotent
def merchant_offer(request, case_no: str, data: CaseOfferIn):
    _shop, case = merchant_case(request, case_no)
    offer = negotiation.offer_make(case=case, remedy=data.remedy, amount=data.amount, hours=data.hours, note=data.note, author=author(request))
    return Status(201, offer_out(offer))


FULFIL = Errors.of(
    e.MERCHANT_CALLER, e.CASE_NOT_FOUND, (400, "out_of_stock", "库存不足，无法补发"), (400, "note_required", "手动服务须说明重新完成的服务"),
    e.CASE_STATE, (409, "key_already_withdrawn", "卡密已作废或已补发"), e.IDEMPOTENCY_BUSY, e.INPUT,
)


@router.post(
    "/merchant/cases/{case_no}/fulfil", auth=MERCHANT_AUTH, response={200: CaseOut, **FULFIL.responses},
    openapi_extra=extra(FULFIL, idem=True), summary="商家：兑现补发",
    description="等待商家补发的工单：卡密订单从库存发放新卡密（原卡密作废），手动服务写明重新完成的服务。逾期未补发系统自动全额退款并记违约。",
)
@idempotent
def merchant_fulfil_case(request, case_no: str, data: CaseFulfilIn):
    _shop, case = merchant_case(request, case_no)
    services.case_replacement_fulfil(case=case, note=data.note, author=author(request))
    return detail(request, case_no)
