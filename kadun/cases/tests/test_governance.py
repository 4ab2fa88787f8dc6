"""The facts governance counts are recorded as cases move: opened, the merchant's first
response time, intervention, outcome and the fault a decision found."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_shop
from kadun.cases import negotiation, review, selectors, services, thread
from kadun.cases.models import Case
from kadun.cases.states import Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.core import clock

pytestmark = pytest.mark.django_db


def _open(order, kind="refund_dispute"):
    return services.case_open(order=order, kind=kind, statement="与描述不符，申请全额退款", remedy="full_refund", author=order.buyer)


def test_a_merchants_first_response_time_is_recorded_in_seconds():
    case = _open(delivered_order())
    clock.advance(dt.timedelta(minutes=90))
    thread.message_post(order=case.order, party=Party.MERCHANT, author=case.order.shop.owner, body="您好，请描述问题")
    event = case.events.get(kind="merchant_first_response")
    assert event.data["seconds"] == 90 * 60
    thread.message_post(order=case.order, party=Party.MERCHANT, author=case.order.shop.owner, body="还在吗")
    assert case.events.filter(kind="merchant_first_response").count() == 1


def test_shop_statistics_count_intervention_fault_and_response_p90():
    shop = make_shop()
    arbitrator = staff("arbitrator")
    answered = _open(delivered_order(shop=shop))            # answered in 1 h, then settled by an offer
    clock.advance(dt.timedelta(hours=1))
    negotiation.offer_make(case=answered, remedy="full_refund", author=shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=answered.pk), offer_id=answered.offers.get().pk, author=answered.order.buyer)
    silent = _open(delivered_order(shop=shop))              # never answered: escalates, decided against the merchant
    later(hours=48, seconds=1)
    review.case_decide(case=Case.objects.get(pk=silent.pk), arbitrator=arbitrator, remedy="full_refund", fault="merchant",
                       reasons="商家逾期未回复，且未能证明商品与描述一致", clauses=[1])
    review.decision_waive(case=Case.objects.get(pk=silent.pk), party=Party.MERCHANT, author=shop.owner)
    _open(delivered_order())                                # another shop's case is not counted

    stats = selectors.merchant_case_stats(shop_id=shop.pk)

    assert stats["opened"] == 2 and stats["escalated"] == 1 and stats["intervention_rate"] == 0.5
    assert stats["decided"] == 2 and stats["merchant_fault"] == 1 and stats["merchant_fault_rate"] == 0.5
    assert stats["answered"] == 1 and stats["first_response_p90_seconds"] == 3600
