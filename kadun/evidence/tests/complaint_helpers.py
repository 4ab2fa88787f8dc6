"""Builders for complaint tests: orders whose buyer may (or may not) publish, and staff."""
from __future__ import annotations

import datetime as dt

from conftest import make_user
from kadun.cases import review, services, thread
from kadun.cases.models import Case
from kadun.cases.states import Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.core import clock
from kadun.evidence import complaints
from kadun.orders.models import Order

STATEMENT = "收到的卡密显示已被使用，商家一直不处理，希望大家注意。"


def fresh(order) -> Order:
    return Order.objects.select_related("shop", "product").get(pk=order.pk)


def open_case(order):
    return services.case_open(order=order, kind="key_problem", statement="卡密无法使用，申请全额退款", remedy="full_refund", author=order.buyer)


def decided_order(*, remedy: str = "rejected", fault: str = "none", price: int = 1000, shop=None, buyer=None):
    """A case the merchant answered, the buyer took to the platform, and an arbitrator decided
    (no breach, no SLA miss: the decision is the only basis)."""
    order = delivered_order(price=price, shop=shop, buyer=buyer or make_user())
    case = open_case(order)
    thread.message_post(order=order, party=Party.MERCHANT, author=order.shop.owner, body="卡密是好的，请按说明兑换")
    services.case_ask_platform(case=Case.objects.get(pk=case.pk), party=Party.BUYER, author=order.buyer)
    clock.advance(dt.timedelta(minutes=5))
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy=remedy, fault=fault,
                       reasons="核对验货记录与查看记录后作出裁决", clauses=[2], amount=None)
    return fresh(order)


def silent_merchant_order(*, price: int = 1000, shop=None):
    """The merchant never answered: the case escalated by itself (a default outcome against the merchant)."""
    order = delivered_order(price=price, shop=shop, buyer=make_user())
    open_case(order)
    later(hours=48, seconds=1)
    return fresh(order)


def publish(order, statement: str = STATEMENT):
    return complaints.complaint_publish(order=fresh(order), role="buyer", author=order.buyer, statement=statement)


def published(order, statement: str = STATEMENT):
    complaint = publish(order, statement)
    return complaints.complaint_approve(complaint=complaint, staff=staff("support"))
