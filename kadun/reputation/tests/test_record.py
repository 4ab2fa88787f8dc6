"""店铺档案: each figure on fixed data (orders bought, paid and refunded, cases opened, answered
and escalated through services; Review rows written directly — the review writer is its own
work), the figures follow the stats refresh, and the pages and API show them."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_shop
from kadun.cases import negotiation, services as cases, thread
from kadun.cases.models import Case
from kadun.cases.states import Party
from kadun.cases.tests.helpers import delivered_order, later
from kadun.core import clock
from kadun.orders.models import Order
from kadun.reputation import services
from kadun.reputation.models import Review, ShopRecord
from kadun.reputation.selectors_record import headline, shop_record
from kadun.reputation.services_record import records_recompute
from tests.credit_data import confirmed_orders

pytestmark = pytest.mark.django_db


def review(order, rating, *, days_ago=0, hidden=""):
    return Review.objects.create(order=order, shop_id=order.shop_id, product_id=order.product_id, buyer=order.buyer, rating=rating,
                                 text="好" if rating > 2 else "卡密无效", created_at=clock.now() - dt.timedelta(days=days_ago),
                                 hidden_reason=hidden, hidden_at=clock.now() if hidden else None)


def _open(order):
    return cases.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund", author=order.buyer)


@pytest.fixture
def world():
    """One shop: 4 orders bought and paid through services — one refunded after a case answered
    in 1 h (an accepted full-refund offer), one whose case the merchant never answered (it
    reaches the platform), two quiet — plus 6 confirmed orders (2 of them 40 days ago), and
    reviews 5, 4, 2, 1 (hidden) in the window and a 1 far outside it."""
    shop = make_shop()
    answered, silent, quiet, _quiet2 = (delivered_order(shop=shop) for _ in range(4))
    case = _open(answered)
    clock.advance(dt.timedelta(hours=1))
    thread.message_post(order=answered, party=Party.MERCHANT, author=shop.owner, body="您好，请描述问题")
    negotiation.offer_make(case=Case.objects.get(pk=case.pk), remedy="full_refund", author=shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=case.offers.get().pk, author=answered.buyer)
    _open(silent)
    later(hours=48, seconds=1)  # the merchant never answered: the case reaches the platform
    old = confirmed_orders(shop, 6)
    Order.objects.filter(pk__in=[o.pk for o in old[:2]]).update(confirmed_at=clock.now() - dt.timedelta(days=40),
                                                                 paid_at=clock.now() - dt.timedelta(days=41))
    for order, rating in zip(old[2:5], (5, 4, 2), strict=True):
        review(order, rating)
    review(quiet, 1, hidden="personal_info")
    review(old[0], 1, days_ago=120)
    return shop


def test_each_figure_on_fixed_data(world):
    answered = Order.objects.filter(shop=world, refunded_amount__gt=0)
    assert answered.count() == 1  # the accepted offer refunded through the ledger
    records_recompute(shop_ids=[world.pk])
    rec = shop_record(world.pk)
    assert (rec["paid"], rec["refunded"], rec["refund_rate"]) == (10, 1, 0.1)
    # the two quiet orders confirmed themselves when their inspection window ran out
    assert (rec["confirmed_short"], rec["confirmed"]) == (6, 8)
    assert (rec["reviews"], rec["bad_reviews"], rec["bad_rate"]) == (4, 2, 0.5)  # the hidden 1-star counts; the old one does not
    assert (rec["disputed"], rec["dispute_rate"]) == (2, 0.2)
    assert (rec["escalated"], rec["intervention_rate"]) == (1, 0.1)
    assert rec["answered"] == 1 and rec["response_median_seconds"] == rec["response_p90_seconds"] == 3600
    assert rec["days_open"] == 2 and rec["credit"].score == 700
    assert rec["deposit"]["required"] >= rec["deposit"]["held"] == 0 and rec["warnings"] == [] and rec["complaints"] == []


def test_monthly_ratings_and_the_median_of_several_answers():
    shop = make_shop()
    orders = confirmed_orders(shop, 4)
    for order, (rating, days) in zip(orders, [(5, 0), (3, 0), (1, 62), (2, 62)], strict=True):
        review(order, rating, days_ago=days)
    cases_ = [_open(delivered_order(shop=shop)) for _ in range(3)]
    for minutes, case in zip((10, 50, 240), cases_, strict=True):
        clock.advance(dt.timedelta(minutes=minutes))
        thread.message_post(order=case.order, party=Party.MERCHANT, author=shop.owner, body="在的")
    records_recompute(shop_ids=[shop.pk])
    rec = shop_record(shop.pk)
    assert [(m["avg"], m["n"]) for m in rec["monthly"]] == [(1.5, 2), (4.0, 2)]
    # first answers after 10, 60 and 300 minutes (the clock moved on between them)
    assert rec["response_median_seconds"] == 3600 and rec["response_p90_seconds"] == 300 * 60


def test_no_orders_shows_no_rate_rather_than_zero():
    shop = make_shop()
    records_recompute(shop_ids=[shop.pk])
    rec = shop_record(shop.pk)
    assert rec["paid"] == 0 and rec["refund_rate"] is None and rec["bad_rate"] is None and rec["dispute_rate"] is None


def test_the_record_follows_the_dirty_mark_and_duty():
    shop = make_shop()
    services.score_recompute(shop_id=shop.pk)
    first = ShopRecord.objects.get(shop_id=shop.pk).computed_at
    assert headline(shop.pk)["confirmed"] == 0
    confirmed_orders(shop, 3)
    services.score_refresh(shop_id=shop.pk)  # what a confirmation does
    assert headline(shop.pk)["confirmed"] == 0  # not yet: the duty runs after the delay
    clock.advance(dt.timedelta(minutes=1))
    assert services.dirty_recompute() == 1
    assert headline(shop.pk)["confirmed"] == 3
    assert ShopRecord.objects.get(shop_id=shop.pk).computed_at > first + dt.timedelta(minutes=1)


def test_the_nightly_run_recomputes_every_shops_record():
    shops = [make_shop() for _ in range(3)]
    services.scores_recompute_all(chunk=2)
    assert ShopRecord.objects.filter(shop_id__in=[s.pk for s in shops]).count() == 3


def test_risk_keywords_in_case_statements_are_counted_on_the_shop_page(client):
    """Reviews are not the only place buyers name 卡密无效: the statements of the shop's cases (and
    of its public complaints) are scanned too, counted with the record, and the shop page shows
    the counts — never the statements."""
    shop = make_shop()
    for text in ("卡密无效，充值提示已被使用", "卡密失效了，商家客服不回", "想问下怎么兑换"):
        order = delivered_order(shop=shop)
        cases.case_open(order=order, kind="key_problem", statement=text, remedy="full_refund", author=order.buyer)
    records_recompute(shop_ids=[shop.pk])
    found = dict(shop_record(shop.pk)["other_keywords"]["cases"])
    assert found["卡密无效"] == 2 and found["客服不回"] == 1 and found.get("已被使用") == 1
    page = client.get(f"/s/{shop.pk}/").content.decode()
    assert "近90天售后工单中「卡密无效」出现 2 次" in page
    assert "充值提示已被使用" not in page  # the statements themselves stay private
