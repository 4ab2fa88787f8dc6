"""The staff console's 对账 pages: staff see every run and its differences (filtered by kind);
buyers, merchants and anonymous visitors get the console's 404."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import make_shop, make_user
from kadun.core import clock
from kadun.payments.models import ReconciliationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    now = clock.now()
    run = ReconciliationRun.objects.create(provider="wechatpay", bill_date=dt.date(2026, 11, 30), source="gateway", file_sha256="a" * 64,
                                           lines_read=3, matched=1, difference_count=2, started_at=now, finished_at=now)
    run.differences.create(kind="amount", out_trade_no="P-OFF-BY-ONE", gateway_amount=1011, our_amount=1010, line_no=2)
    run.differences.create(kind="refund_ours_only", out_trade_no="P-REFUNDED", refund_no="R-MISSING", our_amount=500)
    return run


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("role", ["support", "arbitrator", "risk", "admin"])
def test_staff_see_the_runs_and_one_runs_differences(client, run, role):
    login(client, make_user(staff_role=role))
    listing = client.get(reverse("backoffice:reconcile_runs")).content.decode()
    assert reverse("backoffice:reconcile_run", args=[run.pk]) in listing and "2026-11-30" in listing
    page = client.get(reverse("backoffice:reconcile_run", args=[run.pk])).content.decode()
    assert "P-OFF-BY-ONE" in page and "10.11" in page and "10.10" in page and "R-MISSING" in page
    assert "金额不一致" in page and "本站已退款，渠道账单无此笔" in page


def test_the_kind_filter_shows_only_that_kind(client, run):
    login(client, make_user(staff_role="support"))
    page = client.get(reverse("backoffice:reconcile_run", args=[run.pk]) + "?kind=amount").content.decode()
    assert "P-OFF-BY-ONE" in page and "R-MISSING" not in page


@pytest.mark.parametrize("who", ["anonymous", "buyer", "merchant"])
def test_everyone_else_gets_404(client, run, who):
    if who == "buyer":
        login(client, make_user())
    elif who == "merchant":
        login(client, make_shop().owner)
    for url in (reverse("backoffice:reconcile_runs"), reverse("backoffice:reconcile_run", args=[run.pk])):
        response = client.get(url)
        assert response.status_code == 404
        assert "P-OFF-BY-ONE" not in response.content.decode()


def test_an_unknown_run_is_404_for_staff(client, run):
    login(client, make_user(staff_role="admin"))
    assert client.get(reverse("backoffice:reconcile_run", args=[run.pk + 1])).status_code == 404


def test_the_pages_in_english(client, run):
    login(client, make_user(staff_role="support"))
    page = client.get(reverse("backoffice:reconcile_run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Amount differs" in page
