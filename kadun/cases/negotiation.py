"""Offers in negotiation: the merchant offers a remedy the order's frozen rules allow; the buyer
accepts (carried out through the refund services), rejects, or asks for the platform; a buyer
silent on an offer for offer_answer_hours is taken to accept it."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from kadun.aftersales import engine
from kadun.aftersales.states import MerchantAction
from kadun.cases import records, remedies
from kadun.cases.errors import CaseClosed, InvalidCaseInput
from kadun.cases.models import Case, CaseOffer
from kadun.cases.states import MONEY_KINDS, CaseStatus, Fault, OfferStatus, Party, Remedy
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.core.money import fen_to_yuan

S = CaseStatus
# Offer remedy → the merchant answer of the frozen rules it corresponds to.
AS_ANSWER = {Remedy.FULL_REFUND: MerchantAction.APPROVE, Remedy.PARTIAL_REFUND: MerchantAction.PARTIAL, Remedy.REPLACEMENT: MerchantAction.PROMISE}


def allowed(case: Case, remedy: str) -> tuple[bool, str]:
    """Whether the order's frozen rules let the merchant offer ``remedy`` (and why not)."""
    action = AS_ANSWER.get(remedy)
    if action is None:
        return False, "请选择处理方案。"
    order = case.order
    cited = tuple(case.refund_request.clauses or ()) if case.refund_request_id else ()
    answers = engine.merchant_answers(snapshot=order.policy_snapshot, delivery=order.delivery, reason=case.reason, cited=cited)
    if remedy == Remedy.REPLACEMENT and not order.is_auto:
        return True, ""  # a service is done again (重新服务) under the same promise
    if answers.allows(action) or (remedy == Remedy.REPLACEMENT and answers.allows(MerchantAction.REPLACE)):
        return True, ""
    return False, answers.refusal(action)


def offers_close(case: Case) -> None:
    """Any open offer lapses (the case moves on without it)."""
    CaseOffer.objects.filter(case=case, status=OfferStatus.OPEN).update(status=OfferStatus.WITHDRAWN, answered_at=clock.now())


def offer_make(*, case: Case, remedy: str, amount=None, hours=None, note: str = "", author=None) -> CaseOffer:
    """The merchant's offer (the caller checked it is the order's merchant). Replaces an open one."""
    note = (note or "").strip()[:1000]
    with transaction.atomic():
        case = records.lock(case)
        if case.status not in (S.AWAITING_MERCHANT, S.NEGOTIATING) or case.kind not in MONEY_KINDS:
            raise CaseClosed()
        ok, why = allowed(case, remedy)
        if not ok:
            raise InvalidCaseInput("action_not_allowed", why)
        amount, hours = remedies.check(case, remedy, amount, hours)
        offers_close(case)
        now = clock.now()
        answer_by = now + dt.timedelta(hours=records.rules(case)["offer_answer_hours"])
        offer = CaseOffer.objects.create(
            case=case, remedy=remedy, amount=amount, replace_hours=hours, note=note, answer_by=answer_by, created_at=now,
        )
        evidence_log.record("cases.offer", offer)
        if case.merchant_first_response_at is None:
            Case.objects.filter(pk=case.pk).update(merchant_first_response_at=now)
            records.event(case, "merchant_first_response", Party.MERCHANT, "商家首次回复（提出方案）", actor=author,
                          seconds=int((now - case.opened_at).total_seconds()))
        if case.status == S.AWAITING_MERCHANT:
            records.move(case, frm=S.AWAITING_MERCHANT, to=S.NEGOTIATING)
        records.event(case, "offer", Party.MERCHANT, describe(offer) + (f"：{note}" if note else ""), actor=author, offer=offer.pk)
        records.wait_for(case, party=Party.BUYER, kind=records.KIND_OFFER, at=answer_by, subject_id=offer.pk)
        records.tell(case, Party.BUYER, "商家提出了处理方案", f"{describe(offer)}。请在 {records.rules(case)['offer_answer_hours']} 小时内答复，逾期视为接受。")
    return offer


def describe(offer) -> str:
    if offer.remedy == Remedy.PARTIAL_REFUND:
        return f"部分退款 {fen_to_yuan(offer.amount)} 元"
    if offer.remedy == Remedy.REPLACEMENT:
        return f"{offer.replace_hours} 小时内补发"
    return "全额退款"


def _open_offer(case: Case, offer_id: int) -> CaseOffer:
    offer = CaseOffer.objects.filter(pk=offer_id, case=case).first()
    if offer is None or offer.status != OfferStatus.OPEN or case.status != S.NEGOTIATING:
        raise CaseClosed("offer_closed", "该方案已失效或已答复。")
    return offer


def _accept(case: Case, offer: CaseOffer, *, status: str, party: str, author=None, note: str) -> None:
    if CaseOffer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(status=status, answered_at=clock.now()) != 1:
        raise CaseClosed("offer_closed", "该方案已失效或已答复。")
    records.event(case, "offer_accepted", party, note, actor=author, offer=offer.pk)
    case.fault = Fault.NONE  # agreed between the parties: nobody was found at fault
    Case.objects.filter(pk=case.pk).update(fault=Fault.NONE)
    remedies.carry_out(case, remedy=offer.remedy, amount=offer.amount, hours=offer.replace_hours, party=Party.MERCHANT,
                       stage=f"offer:{offer.pk}", note=f"售后工单 {case.case_no}：{describe(offer)}（协商一致）")


def offer_accept(*, case: Case, offer_id: int, author=None) -> Case:
    """The buyer accepts the offer: it is carried out now."""
    with transaction.atomic():
        case = records.lock(case)
        offer = _open_offer(case, offer_id)
        _accept(case, offer, status=OfferStatus.ACCEPTED, party=Party.BUYER, author=author, note=f"买家接受方案：{describe(offer)}")
    return case


def offer_reject(*, case: Case, offer_id: int, author=None, note: str = "") -> Case:
    """The buyer rejects the offer; the merchant may make another (reply deadline), or either
    side asks the platform."""
    with transaction.atomic():
        case = records.lock(case)
        offer = _open_offer(case, offer_id)
        CaseOffer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(status=OfferStatus.REJECTED, answered_at=clock.now())
        records.event(case, "offer_rejected", Party.BUYER, "买家拒绝方案" + (f"：{note.strip()[:200]}" if note.strip() else ""), actor=author)
        rules = records.rules(case)
        records.wait_for(case, party=Party.MERCHANT, kind=records.KIND_MERCHANT, at=clock.now() + dt.timedelta(hours=rules["merchant_reply_hours"]))
        records.tell(case, Party.MERCHANT, "买家拒绝了您的方案", f"可在 {rules['merchant_reply_hours']} 小时内提出新方案，逾期将自动转平台介入。")
    return case


def offer_silent(wait) -> str:
    """Deadline: the buyer did not answer the offer in time — it is accepted and carried out."""
    case = records.lock(wait.case)
    offer = CaseOffer.objects.filter(pk=wait.ref_id, case=case).first()
    if case.wait_id != wait.pk or offer is None or offer.status != OfferStatus.OPEN or case.status != S.NEGOTIATING:
        return "noop"
    _accept(case, offer, status=OfferStatus.ACCEPTED_BY_DEFAULT, party=Party.SYSTEM, note=records.DEFAULT_OUTCOMES[records.KIND_OFFER])
    return "done"
