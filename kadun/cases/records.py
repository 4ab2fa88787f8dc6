"""Shared writes of the case services: the conditional move, the event row, the running deadline,
telling the party who must act. Everything here runs in the caller's transaction, which holds the
order's lock (``orders.services.order_lock``), so all changes of one order's case are serial."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from kadun.cases import evidence as _sources  # noqa: F401  (registers the case's evidence sources)
from kadun.cases.errors import CaseClosed
from kadun.cases.models import Case, CaseEvent, CaseWait
from kadun.cases.states import OPEN, CaseStatus, Party
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.deadlines.services import deadline_schedule
from kadun.notifications.services import absolute_link, notify, outbox_enqueue
from kadun.orders import services as orders
from kadun.reputation import services as credit

S = CaseStatus
# One deadline kind per waiting stage, each with its written default outcome (docs/cases.md).
KIND_MERCHANT = "case_merchant_silent"      # awaiting_merchant → platform_review
KIND_FOLLOWUP = "case_buyer_silent"          # negotiating, no offer → closed (merchant's position stands)
KIND_OFFER = "case_offer_silent"             # negotiating, an offer open → accepted
KIND_EVIDENCE = "case_evidence_due"          # platform_review, a side asked → marked missed
KIND_EFFECTIVE = "case_decision_effective"   # decided → executed and closed
KIND_REPLACEMENT = "case_replacement_due"    # awaiting_replacement → full refund
DEFAULT_OUTCOMES = {
    KIND_MERCHANT: "商家逾期未回复，工单自动转平台介入",
    KIND_FOLLOWUP: "买家逾期未回应，按商家意见结案",
    KIND_OFFER: "买家逾期未答复方案，视为接受并自动执行",
    KIND_EVIDENCE: "逾期未提交证据，平台按现有证据裁决",
    KIND_EFFECTIVE: "申诉期结束，裁决自动生效执行",
    KIND_REPLACEMENT: "商家逾期未补发，系统自动全额退款",
}


def rules(case: Case) -> dict:
    return settings.KADUN_CASE_RULES[case.kind]


def lock(case: Case) -> Case:
    """Lock the case's order (the one lock every change of the order and its case takes), then
    read the case fresh."""
    orders.order_lock(case.order_id)
    return Case.objects.select_related("order", "order__shop").get(pk=case.pk)


def event(case: Case, kind: str, party: str, note: str = "", *, actor=None, staff_only: bool = False, **data) -> None:
    row = CaseEvent.objects.create(
        case=case, kind=kind, party=party, actor=actor if getattr(actor, "pk", None) else None, note=note[:500],
        data=data, staff_only=staff_only, at=clock.now(),
    )
    evidence_log.record("cases.event", row)


def move(case: Case, *, frm, to: str, **changes) -> None:
    """``UPDATE case SET status = to … WHERE id = … AND status IN frm``: one row or CaseClosed."""
    frm = [frm] if isinstance(frm, str) else list(frm)
    if Case.objects.filter(pk=case.pk, status__in=frm).update(status=to, **changes) != 1:
        raise CaseClosed()
    case.status = to
    for name, value in changes.items():
        setattr(case, name, value)


def schedule(case: Case, *, kind: str, at: dt.datetime, ref_id: int) -> CaseWait:
    """A fresh wait and its own deadline row (never an existing row re-armed)."""
    wait = CaseWait.objects.create(case=case, kind=kind, ref_id=ref_id, due_at=at, created_at=clock.now())
    deadline_schedule(kind=kind, subject_id=wait.pk, due_at=at)
    return wait


def wait_for(case: Case, *, party: str, kind: str, at: dt.datetime, subject_id: int | None = None) -> None:
    """The case now waits on ``party`` until ``at``; the deadline of ``kind`` applies its default
    outcome then (about: the case, or the offer / evidence request / decision ``subject_id``)."""
    wait = schedule(case, kind=kind, at=at, ref_id=subject_id or case.pk)
    Case.objects.filter(pk=case.pk).update(awaiting=party, deadline_at=at, deadline_kind=kind, wait=wait)
    case.awaiting, case.deadline_at, case.deadline_kind, case.wait_id = party, at, kind, wait.pk


def waited(wait_id: int, kind: str) -> CaseWait | None:
    """The wait a deadline fired for (None if unknown or of another kind)."""
    return CaseWait.objects.filter(pk=wait_id, kind=kind).first()


def wait_on_platform(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(awaiting=Party.STAFF, deadline_at=None, deadline_kind="", wait=None)
    case.awaiting, case.deadline_at, case.deadline_kind, case.wait_id = Party.STAFF, None, "", None


def close(case: Case, *, frm, outcome: str, fault: str = "", note: str = "", party: str = Party.SYSTEM, actor=None) -> None:
    now = clock.now()
    move(case, frm=frm, to=S.CLOSED, outcome=outcome, fault=fault or case.fault, closed_at=now, awaiting="", deadline_at=None, deadline_kind="", wait=None)
    event(case, "closed", party, note, actor=actor, outcome=outcome, fault=fault or case.fault)
    credit.score_refresh(shop_id=case.shop_id)  # 信用分: case figures changed
    orders.order_hold(order_id=case.order_id, held=False)


def is_open(case: Case) -> bool:
    return case.status in OPEN


def tell(case: Case, party: str, title: str, body: str = "", *, event: str = "case") -> None:
    """Tell the party now expected to act: 站内信, e-mail and the channels they chose
    (``notifications.services.notify``, through the outbox after commit). A guest buyer is
    e-mailed if the contact is an address (no access link in it: they open the order with its
    number and query password), and sees everything on the order page through the access link."""
    order = case.order
    title = f"{title}：工单 {case.case_no}"
    if party == Party.MERCHANT:
        notify(user_id=order.shop.owner_id, title=title, body=body, link=reverse("cases:merchant_case", args=[case.case_no]), event=event)
    elif party == Party.BUYER and order.buyer_id:
        notify(user_id=order.buyer_id, title=title, body=body, link=reverse("cases:case", args=[case.case_no]), event=event)
    elif party == Party.BUYER and "@" in order.contact:
        outbox_enqueue(topic="email", payload={
            "to": order.contact, "subject": f"[kadun] {title}",
            "body": f"{body}\n订单 {order.order_no}：凭订单号和查询密码在「订单查询」页面查看（{absolute_link(reverse('web:lookup'))}）。",
        })
