"""Two sweepers, two staff at once (threads, PostgreSQL): each batch is evaluated once, so each
alert is raised once; of two staff taking one alert, one gets it."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_product, make_user, together
from kadun.core import clock
from kadun.risk import alerts
from kadun.risk.errors_alerts import AlertAssignedElsewhere
from kadun.risk.models import RiskAlert
from kadun.risk.tests import alert_helpers as h

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True), pytest.mark.evidence_tampered]


def test_two_sweepers_raise_each_alert_once_and_read_each_order_once(settings):
    settings.KADUN_ALERT_BATCH = 7
    products = [make_product() for _ in range(3)]
    for product in products:
        h.age_product(product, 60)
    buyers = [make_user() for _ in range(3)]
    start = clock.now() - dt.timedelta(minutes=40)
    for buyer, product in zip(buyers, products, strict=True):
        h.orders([(product, start + dt.timedelta(seconds=10 * i), buyer.pk, "", 1) for i in range(21)])
    clock.advance(dt.timedelta(minutes=5))

    results = together(lambda: alerts.alerts_sweep(max_batches=100), lambda: alerts.alerts_sweep(max_batches=100))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 63  # every order read by exactly one of them
    raised = RiskAlert.objects.filter(kind="order_burst")
    assert sorted(raised.values_list("subject", flat=True)) == sorted(f"buyer:{b.pk}" for b in buyers)
    assert all(a.occurrences <= 3 for a in raised)  # 21 orders in batches of 7: found at most once per batch


def test_two_staff_assigning_at_once_one_wins():
    product = make_product()
    h.age_product(product, 60)
    buyer = make_user()
    h.orders([(product, clock.now() - dt.timedelta(minutes=30) + dt.timedelta(seconds=10 * i), buyer.pk, "", 1) for i in range(20)])
    h.sweep()
    alert = RiskAlert.objects.get(kind="order_burst")
    staff = [make_user(staff_role="risk"), make_user(staff_role="risk")]

    results = together(*[(lambda s=s: alerts.alert_assign(alert_id=alert.pk, actor=s)) for s in staff])

    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1 and sum(isinstance(r, AlertAssignedElsewhere) for r in results) == 1
    assert RiskAlert.objects.get(pk=alert.pk).assigned_to_id == wins[0].assigned_to_id
