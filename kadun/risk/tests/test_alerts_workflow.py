"""异常订单预警 as risk staff live with them: a normal week raises none; a repeat adds to the open
alert; an alert is assigned, taken over, closed with a resolution; and it feeds the runaway score."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_product, make_shop, make_user
from kadun.core import clock
from kadun.risk import alerts, runaway_signals
from kadun.risk.errors import AlertAlreadyResolved, NotRiskStaff
from kadun.risk.errors_alerts import AlertAssignedElsewhere, InvalidResolution
from kadun.risk.models import AlertCursor, RiskAlert
from kadun.risk.services import alert_resolve, lure_check
from kadun.risk.tests import alert_helpers as h

pytestmark = [pytest.mark.django_db, pytest.mark.evidence_tampered]


def test_a_normal_week_of_ordinary_orders_raises_no_alert():
    traffic = h.ordinary_traffic(shops=30, products_per_shop=4, buyers=400, guests=200, days=7, orders_per_day=600)
    shop = make_shop()
    for product in [make_product(shop) for _ in range(2)]:  # a new shop's first products, selling a little
        h.orders([(product, clock.now() - dt.timedelta(hours=3 * i), None, f"new{i}@example.com", 1) for i in range(6)])
    for i, product in enumerate(traffic["products"][::4][:5]):  # lures, each in its own shop
        lure_check(text=f"加我微信 seller{i}abc 优惠", where="product_description", subject=f"product:{product.pk}",
                   author_id=product.shop.owner_id, author_role="merchant", shop_id=product.shop_id)
    read = h.sweep()
    assert read >= 7 * 600  # every order was read
    assert AlertCursor.objects.get(source="orders").last_id > 0
    assert list(RiskAlert.objects.values_list("kind", "subject")) == []


def _burst(buyer, product, start, count):
    return h.orders([(product, start + dt.timedelta(seconds=10 * i), buyer.pk, "", 1) for i in range(count)])


def test_a_repeat_adds_to_the_open_alert_instead_of_a_new_one():
    product = make_product()
    h.age_product(product, 60)
    buyer = make_user()
    first = _burst(buyer, product, clock.now() - dt.timedelta(minutes=30), 20)
    h.sweep()
    more = _burst(buyer, product, clock.now() - dt.timedelta(minutes=4), 20)
    h.sweep()
    [alert] = RiskAlert.objects.filter(kind="order_burst")
    assert alert.occurrences == 2 and alert.status == "open"
    assert alert.details["order_ids"] == [o.pk for o in first + more]
    assert alert.last_seen_at > alert.created_at


def test_the_duty_reads_each_fact_once():
    product = make_product()
    h.age_product(product, 60)
    _burst(make_user(), product, clock.now() - dt.timedelta(minutes=30), 20)
    assert h.sweep() == 20
    assert h.sweep() == 0
    assert RiskAlert.objects.get(kind="order_burst").occurrences == 1


def _alert():
    product = make_product()
    h.age_product(product, 60)
    _burst(make_user(), product, clock.now() - dt.timedelta(minutes=30), 20)
    h.sweep()
    return RiskAlert.objects.get(kind="order_burst")


def test_assign_to_me_then_another_needs_to_take_over():
    alert = _alert()
    first, second = make_user(staff_role="risk"), make_user(staff_role="risk")
    assigned = alerts.alert_assign(alert_id=alert.pk, actor=first)
    assert assigned.assigned_to == first and assigned.assigned_at is not None
    with pytest.raises(AlertAssignedElsewhere):
        alerts.alert_assign(alert_id=alert.pk, actor=second)
    assert RiskAlert.objects.get(pk=alert.pk).assigned_to == first
    taken = alerts.alert_assign(alert_id=alert.pk, actor=second, take_over=True)
    assert taken.assigned_to == second


def test_support_staff_cannot_take_alerts():
    alert = _alert()
    with pytest.raises(NotRiskStaff):
        alerts.alert_assign(alert_id=alert.pk, actor=make_user(staff_role="support"))
    assert RiskAlert.objects.get(pk=alert.pk).assigned_to is None


def test_closing_records_the_resolution_and_refuses_a_second_close():
    alert = _alert()
    staff = make_user(staff_role="risk")
    closed = alert_resolve(alert_id=alert.pk, actor=staff, resolution="confirmed_fraud", note="刷单，已封号")
    assert (closed.status, closed.resolution, closed.resolution_note, closed.resolved_by) == ("resolved", "confirmed_fraud", "刷单，已封号", staff)
    with pytest.raises(AlertAlreadyResolved):
        alert_resolve(alert_id=alert.pk, actor=staff, resolution="false_positive")
    assert RiskAlert.objects.get(pk=alert.pk).resolution == "confirmed_fraud"


def test_an_unknown_resolution_changes_nothing():
    alert = _alert()
    with pytest.raises(InvalidResolution):
        alert_resolve(alert_id=alert.pk, actor=make_user(staff_role="risk"), resolution="whatever")
    assert RiskAlert.objects.get(pk=alert.pk).status == "open"


def test_the_old_resolve_path_still_closes_as_handled():
    alert = _alert()
    closed = alert_resolve(alert_id=alert.pk, actor=make_user(staff_role="risk"), note="ok")
    assert closed.resolution == "handled"


def _spike_alert(shop):
    return RiskAlert.objects.create(kind="sales_spike", subject=f"shop:{shop.pk}", shop=shop, details={}, created_at=clock.now())


def test_open_alerts_about_the_shop_turn_the_runaway_signal_on():
    shop, other = make_shop(), make_shop()
    alert = _spike_alert(shop)
    lure = RiskAlert.objects.create(kind="lure_across_shops", subject="lure:x", details={"shop_ids": [shop.pk, other.pk]},
                                    created_at=clock.now())
    signal = runaway_signals.abnormal_alerts(shop.pk, clock.now())
    assert signal.on and signal.value == 2 and signal.weight == 20
    assert signal.facts["alert_ids"] == [alert.pk, lure.pk]
    score, _ = runaway_signals.evaluate(shop.pk, clock.now())
    assert score == 20
    assert runaway_signals.abnormal_alerts(other.pk, clock.now()).value == 1  # named by the lure alert


def test_a_false_positive_no_longer_counts_but_confirmed_fraud_does():
    shop = make_shop()
    staff = make_user(staff_role="risk")
    alert_resolve(alert_id=_spike_alert(shop).pk, actor=staff, resolution="false_positive")
    assert not runaway_signals.abnormal_alerts(shop.pk, clock.now()).on
    alert_resolve(alert_id=_spike_alert(shop).pk, actor=staff, resolution="confirmed_fraud")
    assert runaway_signals.abnormal_alerts(shop.pk, clock.now()).value == 1


def test_alerts_older_than_the_window_do_not_count():
    shop = make_shop()
    _spike_alert(shop)
    assert not runaway_signals.abnormal_alerts(shop.pk, clock.now() + dt.timedelta(days=31)).on
