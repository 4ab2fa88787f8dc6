"""异常订单预警 through HTTP: the console queue with its filters and rules, the alert's page with
its facts, assign to me and close with a resolution; the staff API (session only)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_user
from kadun.core import clock
from kadun.risk.models import RiskAlert
from kadun.risk.tests import alert_helpers as h

pytestmark = [pytest.mark.django_db, pytest.mark.evidence_tampered]


def _client(user) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


@pytest.fixture
def burst():
    product = make_product()
    h.age_product(product, 60)
    buyer = make_user()
    made = h.orders([(product, clock.now() - dt.timedelta(minutes=30) + dt.timedelta(seconds=10 * i), buyer.pk, "", 1) for i in range(20)])
    h.sweep()
    return RiskAlert.objects.get(kind="order_burst"), made


def test_queue_filters_by_kind_and_assignee_and_shows_the_rules(burst):
    alert, _ = burst
    staff = make_user(staff_role="risk")
    c = _client(staff)
    page = c.get(reverse("backoffice:risk_alerts")).content.decode()
    assert f'data-alert="{alert.pk}"' in page and "同一设备 ≥ 20 笔，或同一 IP 地址 ≥ 50 笔" in page
    assert f'data-alert="{alert.pk}"' not in c.get(reverse("backoffice:risk_alerts"), {"kind": "price_flash"}).content.decode()
    assert f'data-alert="{alert.pk}"' not in c.get(reverse("backoffice:risk_alerts"), {"assignee": "me"}).content.decode()
    assert f'data-alert="{alert.pk}"' in c.get(reverse("backoffice:risk_alerts"), {"assignee": "none"}).content.decode()


def test_staff_assign_to_me_and_close_with_a_resolution_on_the_page(burst):
    alert, made = burst
    staff = make_user(staff_role="risk")
    c = _client(staff)
    page = c.get(reverse("backoffice:risk_alert", args=[alert.pk])).content.decode()
    assert made[0].order_no in page and reverse("backoffice:order", args=[made[0].order_no]) in page
    assert c.post(reverse("backoffice:risk_alert_assign", args=[alert.pk])).status_code == 302
    assert RiskAlert.objects.get(pk=alert.pk).assigned_to == staff
    assert f'data-alert="{alert.pk}"' in c.get(reverse("backoffice:risk_alerts"), {"assignee": "me"}).content.decode()
    c.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk]), {"resolution": "false_positive", "note": "团购"})
    closed = RiskAlert.objects.get(pk=alert.pk)
    assert (closed.status, closed.resolution, closed.resolution_note) == ("resolved", "false_positive", "团购")


def test_support_staff_get_403_and_buyers_404(burst):
    alert, _ = burst
    assert _client(make_user(staff_role="support")).get(reverse("backoffice:risk_alerts")).status_code == 403
    assert _client(make_user()).post(reverse("backoffice:risk_alert_assign", args=[alert.pk])).status_code == 404
    assert RiskAlert.objects.get(pk=alert.pk).assigned_to is None


def test_api_list_detail_assign_resolve(burst):
    alert, made = burst
    staff = make_user(staff_role="risk")
    c = _client(staff)
    listed = c.get("/api/staff/alerts", {"kind": "order_burst"}).json()
    assert [a["id"] for a in listed] == [alert.pk]
    detail = c.get(f"/api/staff/alerts/{alert.pk}").json()
    assert detail["details"]["count"] == 20 and detail["links"]["orders"][0]["order_no"] == made[0].order_no
    r = c.post(f"/api/staff/alerts/{alert.pk}/assign", json.dumps({}), content_type="application/json")
    assert r.status_code == 200 and r.json()["assigned_to"] == staff.username
    other = _client(make_user(staff_role="risk"))
    r = other.post(f"/api/staff/alerts/{alert.pk}/assign", json.dumps({}), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "risk_alert_assigned"
    bad = c.post(f"/api/staff/alerts/{alert.pk}/resolve", json.dumps({"resolution": "nope"}), content_type="application/json")
    assert bad.status_code == 422 and RiskAlert.objects.get(pk=alert.pk).status == "open"
    done = c.post(f"/api/staff/alerts/{alert.pk}/resolve", json.dumps({"resolution": "confirmed_fraud", "note": "刷单"}),
                  content_type="application/json")
    assert done.status_code == 200 and done.json()["resolution"] == "confirmed_fraud"
    assert c.get("/api/staff/alerts/999999").status_code == 404


def test_the_merchant_rules_page_states_the_abnormal_alert_signal(client):
    page = client.get(reverse("onboarding:rules")).content.decode()
    assert "关于该店铺的异常订单预警" in page and "30 天内" in page
