"""The public transparency report on fixed data: each figure to the exact number; the daily duty
writes one row per day and is idempotent; the page and the API read it."""
import datetime as dt
import itertools

import pytest
from django.test import Client

from conftest import buy, make_product, make_user
from kadun.aftersales.models import RefundRequest
from kadun.cases.models import Case, CaseDecision, SlaClock
from kadun.core import clock
from kadun.payments.models import Refund
from kadun.report.deadlines import report_daily
from kadun.report.models import DailyReport
from kadun.report.services import report_build

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)
H = dt.timedelta(hours=1)


@pytest.fixture
def world():
    product = make_product(keys=20)
    order, _t, _u = buy(product)
    return {"order": order, "product": product, "shop": product.shop, "arbiter": make_user(staff_role="arbitrator")}


def refund(w, key, *, amount, at):
    n = next(_seq)
    return Refund.objects.create(order=w["order"], payment=w["order"].payment, refund_no=f"RF{n}", amount=amount, reason="x",
                                 idempotency_key=f"refund:{key}", created_at=at)


def request(w, *, at, outcome, status):
    n = next(_seq)
    return RefundRequest.objects.create(request_no=f"RQ{n}", order=w["order"], shop=w["shop"], reason="invalid_key", amount_requested=100,
                                        outcome=outcome, explanation="", status=status, created_at=at)


def case(w, *, at, kind="refund_dispute", outcome="", closed_at=None, req=None):
    n = next(_seq)
    order, _t, _u = buy(w["product"])  # one case per order
    return Case.objects.create(case_no=f"C{n}", order=order, shop=w["shop"], kind=kind, status="closed" if closed_at else "platform_review",
                               reason="invalid_key", statement="s", opened_at=at, outcome=outcome, closed_at=closed_at, refund_request=req)


def decide(w, c, *, remedy, at, appeal=False):
    CaseDecision.objects.create(case=c, appeal=appeal, arbitrator=w["arbiter"], remedy=remedy, fault="merchant", reasons="r",
                                effective_at=at, created_at=at)


def fixed_data(w):
    now = clock.now()
    old = now - dt.timedelta(days=40)
    # one_click: two instant refunds, 0 s and 60 s after the request; one 40 days ago (all time only).
    for delay in (0, 60):
        r = request(w, at=now - 2 * H, outcome="approve", status="approved")
        refund(w, f"refund_request:{r.pk}", amount=100, at=r.created_at + dt.timedelta(seconds=delay))
    r = request(w, at=old, outcome="approve", status="approved")
    refund(w, f"refund_request:{r.pk}", amount=500, at=old + dt.timedelta(seconds=600))
    # by_rule: the merchant did not answer in 24 h; a service overdue (from the payment).
    r = request(w, at=now - 30 * H, outcome="ask_merchant", status="approved_by_default")
    refund(w, f"refund_request:{r.pk}", amount=200, at=r.created_at + 24 * H)
    # by_merchant: the merchant agreed after 2 h and 4 h; a case offer accepted 10 h after the request it grew from.
    for hours in (2, 4):
        r = request(w, at=now - 10 * H, outcome="ask_merchant", status="approved")
        refund(w, f"refund_request:{r.pk}", amount=300, at=r.created_at + hours * H)
    r = request(w, at=now - 20 * H, outcome="ask_merchant", status="rejected")
    c = case(w, at=now - 18 * H, req=r, closed_at=now - 10 * H, outcome="refunded")
    refund(w, f"case:{c.pk}:offer:1", amount=400, at=r.created_at + 10 * H)
    # by_decision: two cases decided for the buyer (one on appeal after a rejection), one for the merchant.
    c1 = case(w, at=now - 50 * H, closed_at=now - 2 * H, outcome="refunded")
    decide(w, c1, remedy="full_refund", at=now - 3 * H)
    refund(w, f"case:{c1.pk}:decision:1", amount=1000, at=now - 2 * H)  # 48 h after the opening
    c2 = case(w, at=now - 30 * H, kind="key_problem", closed_at=now - H, outcome="partially_refunded")
    decide(w, c2, remedy="rejected", at=now - 5 * H)
    decide(w, c2, remedy="partial_refund", at=now - 2 * H, appeal=True)
    c3 = case(w, at=now - 30 * H, kind="key_problem", closed_at=now - H, outcome="rejected")
    decide(w, c3, remedy="rejected", at=now - 4 * H)
    # SLA: first_response met twice and breached once; resolution met once; one open.
    for target, met, breached in (("first_response", True, False), ("first_response", True, False), ("first_response", False, True),
                                  ("resolution", True, False), ("resolution", False, False)):
        SlaClock.objects.create(case=case(w, at=now - H), target=target, minutes=60, started_at=now - H,
                                met_at=now if met else None, breached_at=now if breached else None)
    return now


def test_each_figure_on_fixed_data(world):
    fixed_data(world)

    assert report_build() is True

    f = DailyReport.objects.get().figures
    last, every = f["last_30_days"], f["all_time"]
    assert last["refunds"]["one_click"] == {"count": 2, "amount": 200, "median_seconds": 0, "p90_seconds": 60}
    assert every["refunds"]["one_click"] == {"count": 3, "amount": 700, "median_seconds": 60, "p90_seconds": 600}
    # by_rule: the silent merchant's 24 h, and the service overdue from the order's payment (none here).
    assert last["refunds"]["by_rule"] == {"count": 1, "amount": 200, "median_seconds": 86400, "p90_seconds": 86400}
    assert last["refunds"]["by_merchant"] == {"count": 3, "amount": 1000, "median_seconds": 4 * 3600, "p90_seconds": 10 * 3600}
    assert last["refunds"]["by_decision"] == {"count": 1, "amount": 1000, "median_seconds": 48 * 3600, "p90_seconds": 48 * 3600}
    assert last["refunds"]["runaway"] == {"count": 0, "amount": 0, "median_seconds": None, "p90_seconds": None}
    assert last["decisions"] == {"total": 3, "for_buyer": 2, "for_merchant": 1, "for_buyer_bps": 6666, "for_merchant_bps": 3333}
    assert last["sla"] == {
        "first_response": {"met": 2, "breached": 1, "open": 0, "met_bps": 6666},
        "resolution": {"met": 1, "breached": 0, "open": 1, "met_bps": 10000},
    }
    assert last["case_outcomes"] == {"refund_dispute": {"refunded": 2}, "key_problem": {"partially_refunded": 1, "rejected": 1}}


def test_refunds_without_a_claim_count_from_the_payment(world):
    from kadun.payments.models import Payment

    paid = clock.now() - 3 * H
    Payment.objects.filter(pk=world["order"].payment.pk).update(paid_at=paid)
    refund(world, f"service_overdue:order:{world['order'].pk}", amount=900, at=paid + 2 * H)
    refund(world, "runaway:order:1", amount=50, at=paid + 3 * H)

    report_build()

    refunds = DailyReport.objects.get().figures["all_time"]["refunds"]
    assert refunds["by_rule"] == {"count": 1, "amount": 900, "median_seconds": 7200, "p90_seconds": 7200}
    assert refunds["runaway"] == {"count": 1, "amount": 50, "median_seconds": 10800, "p90_seconds": 10800}


def test_the_duty_writes_one_row_per_day_and_is_idempotent(world, monkeypatch):
    monkeypatch.setattr("kadun.report.deadlines._done_day", None)
    report_daily()
    report_daily()
    assert report_build() is False  # a second run the same day (another process) writes nothing
    assert DailyReport.objects.count() == 1

    clock.advance(dt.timedelta(days=1))
    report_daily()
    report_daily()
    assert DailyReport.objects.count() == 2
    assert len(set(DailyReport.objects.values_list("day", flat=True))) == 2


def test_the_page_and_the_api_read_the_latest_report(world):
    fixed_data(world)
    report_build()
    day = DailyReport.objects.get().day

    page = Client().get("/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-last_30_days"' in html and 'id="report-all_time"' in html
    assert "支持买家 66.7%" in html and "一键退款" in html
    api = Client().get("/api/report")
    assert api.status_code == 200 and api.json()["day"] == day.isoformat()
    assert api.json()["figures"]["last_30_days"]["decisions"]["for_buyer"] == 2
    assert Client().get("/api/report?day=2001-01-01").status_code == 404
    assert Client().get("/report/?day=2001-01-01").status_code == 404


def test_before_any_report_the_page_says_so_and_the_api_is_404(db):
    assert "report-none" in Client().get("/report/").content.decode()
    assert Client().get("/api/report").json()["code"] == "report_not_found"


def test_the_page_in_english_has_no_chinese_left(world):
    from kadun.web.tests.test_english_pages import chinese_in

    fixed_data(world)
    report_build()
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get("/report/").content.decode()

    assert "Platform transparency report" in html and chinese_in(html) == []
