"""用后退款防护 through HTTP: the device cookie; the flag and its facts on the merchant's refund
request page and case page and the staff case page, never a signal; the buyer's own record and
contest; risk staff answer in the console; the same over the API."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import make_user
from kadun.cases.models import Case
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.risk.models import AbuseContest, AbuseLink
from kadun.risk.selectors_abuse import record_of
from kadun.risk.states import AbuseFactKind as K
from kadun.risk.tests.abuse_helpers import Upload, facts, key_of, paid

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def test_every_browser_gets_a_long_lived_httponly_device_cookie_once():
    c = Client()
    first = c.get(reverse("abuse:rules"))
    cookie = first.cookies["kd_dev"]
    assert len(cookie.value) == 32 and cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 365 * 86400
    assert "kd_dev" not in c.get(reverse("abuse:rules")).cookies  # kept, not replaced


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_a_refund_request_through_the_site_links_the_device_and_the_merchant_sees_the_flag_not_the_signals():
    from kadun.aftersales.models import RefundRequest
    from kadun.inventory.services import key_reveal

    buyer = make_user(contact="13800138000")
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 1)
    key = key_of(order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", ip="198.51.100.1")
    c = _client(buyer)
    c.get(reverse("abuse:rules"))  # the device cookie
    response = c.post(reverse("web:refund_request", args=[order.order_no]),
                      {"reason": "invalid_key", "key_ids": [key.pk], "statement": "充值提示卡密已使用", "images": [Upload()]})
    assert response.status_code in (200, 302)
    request = RefundRequest.objects.get(order=order)
    assert AbuseLink.objects.filter(buyer_key=f"user:{buyer.pk}", kind="device").exists()
    assert record_of(f"user:{buyer.pk}").flagged
    page = _client(order.shop.owner).get(reverse("aftersales:merchant_request", args=[request.request_no])).content.decode()
    assert 'data-flagged="1"' in page and "高风险退款记录" in page and request.request_no in page
    signals = AbuseLink.objects.filter(buyer_key=f"user:{buyer.pk}").values_list("signal", flat=True)
    assert signals and not any(s[:12] in page for s in signals) and "13800138000" not in page and c.cookies["kd_dev"].value not in page
    assert "abuse-staff-link" not in page  # the staff record is not linked for merchants


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_flag_on_merchant_and_staff_case_pages_after_the_default_sent_it_to_the_platform():
    from kadun.risk.tests.abuse_helpers import claim_after_reveal

    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 2)
    request = claim_after_reveal(order)
    clock.advance(dt.timedelta(hours=25))
    deadlines_sweep_all()
    case = Case.objects.get(refund_request=request)
    merchant_page = _client(order.shop.owner).get(reverse("cases:merchant_case", args=[case.case_no])).content.decode()
    assert 'data-flagged="1"' in merchant_page
    staff_page = _client(make_user(staff_role="arbitrator")).get(reverse("cases:staff_case", args=[case.case_no])).content.decode()
    assert 'data-flagged="1"' in staff_page and "abuse-staff-link" in staff_page


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_buyer_sees_their_record_contests_it_and_risk_staff_accept():
    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 2)
    c = _client(buyer)
    page = c.get(reverse("abuse:account_record")).content.decode()
    assert 'data-flagged="1"' in page and "查看卡密后申报无效" in page
    assert c.post(reverse("abuse:account_record"), {"reason": "太短"}).status_code == 400
    assert not AbuseContest.objects.exists()
    assert c.post(reverse("abuse:account_record"), {"reason": "这两次卡密确实无法充值，我有截图可以提供"}).status_code == 302
    contest = AbuseContest.objects.get()
    risk = _client(make_user(staff_role="risk"))
    assert "这两次卡密确实无法充值" in risk.get(reverse("abuse:staff_contests")).content.decode()
    support = _client(make_user(staff_role="support"))
    assert support.post(reverse("abuse:staff_contest_answer", args=[contest.pk]), {"decision": "accept", "note": "支持人员处理"}).status_code == 403
    response = risk.post(reverse("abuse:staff_contest_answer", args=[contest.pk]), {"decision": "accept", "note": "该商品批次确有问题"})
    assert response.status_code == 302
    contest.refresh_from_db()
    assert contest.status == "accepted" and contest.note == "该商品批次确有问题"
    assert 'data-flagged="0"' in c.get(reverse("abuse:account_record")).content.decode()
    staff_record = risk.get(reverse("abuse:staff_buyer", args=[f"user:{buyer.pk}"])).content.decode()
    assert "申诉已撤销" in staff_record


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_api_own_record_contest_and_staff_reject():
    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 2)
    c = _client(buyer)
    record = c.get("/api/abuse/record").json()
    assert record["flagged"] is True and record["counts"]["unreported"] == 2 and "signals" not in record
    bad = c.post("/api/abuse/contests", json.dumps({"reason": "短"}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "abuse_contest_invalid"
    made = c.post("/api/abuse/contests", json.dumps({"reason": "我没有滥用退款，请复核这两次记录"}), content_type="application/json")
    assert made.status_code == 201
    again = c.post("/api/abuse/contests", json.dumps({"reason": "我没有滥用退款，请复核这两次记录"}), content_type="application/json")
    assert again.status_code == 409
    risk = _client(make_user(staff_role="risk"))
    assert [x["id"] for x in risk.get("/api/staff/buyers/contests").json()] == [made.json()["id"]]
    staff_view = risk.get(f"/api/staff/buyers/user:{buyer.pk}").json()
    assert staff_view["flagged"] is True and "signals" in staff_view
    answer = risk.post(f"/api/staff/buyers/contests/{made.json()['id']}/answer", json.dumps({"decision": "reject", "note": "验货记录显示有效"}),
                       content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    assert c.get("/api/abuse/record").json()["flagged"] is True
    assert c.get(f"/api/staff/buyers/user:{buyer.pk}").status_code == 403


@override_settings(KADUN_ABUSE_MIN_REQUESTS=7, KADUN_ABUSE_BAD_SHARE_PCT=40, KADUN_ABUSE_UNREPORTED_CLAIMS=4)
def test_the_rules_page_prints_the_threshold_the_code_applies():
    body = Client().get(reverse("abuse:rules")).content.decode()
    assert "退款申请至少 7 次" in body and "40% 及以上" in body and "达到 4 次" in body
    english = Client(headers={"Accept-Language": "en"}).get(reverse("abuse:rules")).content.decode()
    assert "at least 7 refund requests" in english and "40% or more" in english
