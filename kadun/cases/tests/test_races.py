"""Case changes that can race, with real threads on PostgreSQL: every default outcome fires
exactly once with two sweepers; a person's action racing a deadline, or another person, moves
the money once; an open case and a confirmation never both win."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from conftest import together
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import refund_request_create
from kadun.backoffice.selectors import platform_check
from kadun.cases import negotiation, review, services, thread
from kadun.cases.errors import CaseAlreadyOpen
from kadun.cases.models import Case, CaseEvent
from kadun.cases.states import CaseStatus, Outcome, Party
from kadun.cases.tests.helpers import delivered_order, staff
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.orders.models import Order
from kadun.orders.services import order_confirm
from kadun.payments.models import Refund

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
S = CaseStatus
TRIALS = 10


def _open(order, kind="refund_dispute"):
    return services.case_open(order=order, kind=kind, statement="与描述不符，申请全额退款", remedy="full_refund", author=order.buyer)


def _two_sweepers():
    barrier = threading.Barrier(2, timeout=60)

    def sweep():
        try:
            barrier.wait()
            return deadlines_sweep_all()
        finally:
            connection.close()

    return together(sweep, sweep)


def _stages():
    """One case waiting in each stage whose deadline has a default outcome; returns them by name."""
    arbitrator = staff("arbitrator")
    made = {}
    made["merchant_silent"] = _open(delivered_order())
    case = _open(delivered_order())
    thread.message_post(order=case.order, party=Party.MERCHANT, author=case.order.shop.owner, body="商品与描述一致")
    made["buyer_silent"] = case
    case = _open(delivered_order(price=1200))
    negotiation.offer_make(case=case, remedy="partial_refund", amount=500, author=case.order.shop.owner)
    made["offer_silent"] = case
    case = services.case_open(order=delivered_order(), kind="complaint", statement="商家辱骂买家，要求处理", author=None)
    review.evidence_request(case=case, staff=arbitrator, party=Party.MERCHANT, text="请提供聊天记录原文")
    made["evidence_missed"] = case
    case = services.case_open(order=delivered_order(price=700), kind="key_problem", statement="卡密无效，申请全额退款", remedy="full_refund")
    clock.advance(dt.timedelta(hours=48, seconds=1))
    deadlines_sweep_all()
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=arbitrator, remedy="full_refund", fault="merchant",
                       reasons="卡密首次查看前即无效，验货记录为证", clauses=[1])
    made["decision_effective"] = case
    case = services.case_open(order=delivered_order(price=800, keys=1), kind="key_problem", statement="卡密无效，申请补发", remedy="replacement")
    offer = negotiation.offer_make(case=case, remedy="replacement", hours=4, author=case.order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=case.order.buyer)  # no stock: promised
    made["replacement_due"] = case
    made["sla_breach"] = services.case_open(order=delivered_order(), kind="inquiry", statement="请问这张卡在哪里兑换")
    return made


def test_two_sweepers_fire_each_stage_default_outcome_exactly_once():
    made = _stages()
    clock.advance(dt.timedelta(days=4))
    _two_sweepers()
    fired = {name: Case.objects.get(pk=case.pk) for name, case in made.items()}
    assert fired["merchant_silent"].status == S.PLATFORM_REVIEW
    assert CaseEvent.objects.filter(case=made["merchant_silent"], kind="merchant_silent").count() == 1
    assert (fired["buyer_silent"].status, fired["buyer_silent"].outcome) == (S.CLOSED, Outcome.LAPSED)
    assert (fired["offer_silent"].outcome, fired["offer_silent"].amount_refunded) == (Outcome.PARTIALLY_REFUNDED, 500)
    assert CaseEvent.objects.filter(case=made["evidence_missed"], kind="evidence_missed").count() == 1
    assert (fired["decision_effective"].outcome, fired["decision_effective"].amount_refunded) == (Outcome.REFUNDED, 700)
    assert (fired["replacement_due"].outcome, fired["replacement_due"].amount_refunded) == (Outcome.REFUNDED, 800)
    assert CaseEvent.objects.filter(case=made["sla_breach"], kind="sla_breach").count() == 2  # first response and resolution
    assert Refund.objects.filter(order=made["offer_silent"].order).count() == 1
    assert Refund.objects.filter(order=made["replacement_due"].order).count() == 1
    assert Refund.objects.filter(order=made["decision_effective"].order).count() == 1
    assert CaseEvent.objects.filter(kind="closed").count() == 4
    assert platform_check().problems == []


def test_confirm_racing_a_case_opening_never_releases_escrow_under_the_case():
    released_under_case = []
    for _ in range(TRIALS):
        order = delivered_order()
        results = together(
            lambda o=order: order_confirm(order_id=o.pk, actor="buyer", user=o.buyer),
            lambda o=order: _open(o),
        )
        order.refresh_from_db()
        case = Case.objects.filter(order=order).first()
        assert case is not None, results  # confirmed first or not, the buyer's case is opened
        if order.status == "confirmed" and order.confirmed_at > case.opened_at:
            released_under_case.append(order.order_no)
        assert order.refund_hold
    assert released_under_case == []
    assert platform_check().problems == []


def test_two_cases_opened_at_once_make_one_case():
    for _ in range(TRIALS):
        order = delivered_order()
        results = together(lambda o=order: _open(o), lambda o=order: _open(o))
        assert Case.objects.filter(order=order).count() == 1
        assert sum(isinstance(r, CaseAlreadyOpen) for r in results) == 1


def test_a_case_and_a_refund_request_opened_at_once_are_never_both_open():
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal

    for _ in range(TRIALS):
        order = delivered_order()
        key = CardKey.objects.get(order=order)
        key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer)
        results = together(
            lambda o=order: _open(o),
            lambda o=order, k=key.pk: refund_request_create(order=o, reason="not_as_described", key_ids=[k], statement="与描述不符"),
        )
        cases = Case.objects.filter(order=order, status__in=["awaiting_merchant"]).count()
        requests = RefundRequest.objects.filter(order=order, status="awaiting_merchant").count()
        assert cases + requests == 1, results


def test_accepting_an_offer_as_its_deadline_fires_pays_once():
    for _ in range(TRIALS):
        clock.reset()
        case = _open(delivered_order(price=1000))
        offer = negotiation.offer_make(case=case, remedy="partial_refund", amount=300, author=case.order.shop.owner)
        clock.advance(dt.timedelta(hours=72, seconds=1))
        together(lambda c=case, o=offer: negotiation.offer_accept(case=c, offer_id=o.pk, author=c.order.buyer), deadlines_sweep_all)
        assert Order.objects.get(pk=case.order_id).refunded_amount == 300
        assert Refund.objects.filter(order_id=case.order_id).count() == 1
    assert platform_check().problems == []


def test_a_waiver_racing_the_end_of_the_appeal_window_pays_once():
    arbitrator = staff("arbitrator")
    for _ in range(TRIALS):
        clock.reset()
        case = services.case_open(order=delivered_order(price=900), kind="key_problem", statement="卡密无效，申请全额退款", remedy="full_refund")
        clock.advance(dt.timedelta(hours=48, seconds=1))
        deadlines_sweep_all()
        review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=arbitrator, remedy="full_refund", fault="merchant",
                           reasons="卡密首次查看前即无效，验货记录为证", clauses=[1])
        clock.advance(dt.timedelta(days=3, seconds=1))
        together(lambda c=case: review.decision_waive(case=c, party=Party.MERCHANT, author=c.order.shop.owner), deadlines_sweep_all)
        assert Order.objects.get(pk=case.order_id).refunded_amount == 900
        assert Refund.objects.filter(order_id=case.order_id).count() == 1
    assert platform_check().problems == []
