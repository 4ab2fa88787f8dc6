"""举证责任 on the staff case page: read from the platform's own records — reveals, 验货 reports,
delivery records, the frozen rules — each sentence citing the fact it rests on."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.cases import services
from kadun.cases.selectors_staff import burden_of_proof
from kadun.cases.tests.helpers import delivered_order
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal, key_verify
from kadun.orders.services import order_accept, order_confirm, order_deliver

pytestmark = pytest.mark.django_db


def _case(order, kind="key_problem", **kw):
    return services.case_open(order=order, kind=kind, statement="卡密提示已被使用，无法充值", remedy="full_refund", author=order.buyer, **kw)


def _reveal(order, key):
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer, ip="127.0.0.1")


def _checked_order():
    """Two keys; the product's 验货 is a format check no key passes (result: 无效)."""
    shop = make_shop()
    product = make_product(shop, keys=3, checker={"kind": "format", "pattern": "^NOPE$"})
    order, _t, _u = buy(product, buyer=make_user(), quantity=2)
    order = pay(order)
    return order, list(CardKey.objects.filter(order=order).order_by("id"))


def test_a_key_never_revealed_puts_the_burden_on_the_merchant():
    order = delivered_order()
    burden = burden_of_proof(_case(order))
    assert burden["on"] == "merchant"
    assert any("卡密 #1 从未被查看" in fact for fact in burden["facts"])
    assert order.policy_hash[:12] in burden["facts"][0]


def test_a_report_before_the_first_reveal_saying_invalid_puts_the_burden_on_the_merchant():
    order, (first, second) = _checked_order()
    key_verify(order=order, key_id=first.pk)
    _reveal(order, first)
    _reveal(order, second)
    burden = burden_of_proof(_case(order, key_ids=[first.pk]))
    assert burden["on"] == "merchant"
    assert any("卡密 #1 在首次查看前的验货结果为「无效」" in fact for fact in burden["facts"])
    assert not any("#2" in fact for fact in burden["facts"])  # only the case's keys are read


def test_a_report_after_the_first_reveal_does_not_lighten_the_buyers_burden():
    order, (first, _second) = _checked_order()
    _reveal(order, first)
    clock.advance(dt.timedelta(minutes=1))
    key_verify(order=order, key_id=first.pk)
    burden = burden_of_proof(_case(order, key_ids=[first.pk]))
    assert burden["on"] == "both"
    assert any("卡密 #1 已于" in fact and "首次查看" in fact for fact in burden["facts"])


def test_after_confirmation_the_burden_shifts_to_the_buyer():
    order = delivered_order()
    order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    order.refresh_from_db()
    burden = burden_of_proof(_case(order, kind="refund_dispute"))
    assert burden["on"] == "buyer"
    assert any("确认收货：举证责任转由买家承担" in fact for fact in burden["facts"])


def _service(*, deliver_after_hours=None):
    shop = make_shop()
    product = make_product(shop, delivery="manual", price=3000)
    order, _t, _u = buy(product, buyer=make_user(), buyer_inputs={"account": "player-1"})
    order = pay(order)
    order_accept(order=order, shop=shop)
    if deliver_after_hours is not None:
        clock.advance(dt.timedelta(hours=deliver_after_hours))  # the sweeper has not refunded it yet
        order_deliver(order=order, shop=shop, note="已完成代充")
    order.refresh_from_db()
    return order


def test_a_service_without_a_delivery_record_puts_the_burden_on_the_merchant():
    burden = burden_of_proof(_case(_service(), kind="service_dispute"))
    assert burden["on"] == "merchant"
    assert any("没有发货记录" in fact for fact in burden["facts"])


def test_a_service_delivered_after_its_deadline_puts_the_burden_on_the_merchant():
    burden = burden_of_proof(_case(_service(deliver_after_hours=25), kind="service_dispute"))
    assert burden["on"] == "merchant"
    assert any("晚于服务时限" in fact for fact in burden["facts"])


def test_a_service_delivered_on_time_leaves_each_side_its_own_proof():
    burden = burden_of_proof(_case(_service(deliver_after_hours=2), kind="service_dispute"))
    assert burden["on"] == "both"
    assert any("发货记录在案" in fact for fact in burden["facts"])
