"""The case API over real HTTP, the platform's side and what it decides: the staff queue,
assignments, messages, evidence requests, decisions, waivers and appeals (money to the 分), the
SLA report, and who on the staff may do what."""
from __future__ import annotations

import pytest

from kadun.cases.tests.api_flows import (
    REASONS, at_platform, clean, decided, escrow, open_case, png, refunds_of,
)

from kadun.cases.models import Case, CaseMessage, SlaClock
from kadun.cases.tests.apiclient import error, post, with_key, with_session
from kadun.cases.tests.helpers import delivered_order, later, staff

pytestmark = pytest.mark.django_db


# Decisions and appeals ------------------------------------------------------------------------


def test_a_decision_waived_by_the_losing_merchant_is_paid_at_once_to_the_fen():
    order, buyer, merchant, case, _arbitrator = decided(price=1500)
    shown = buyer.get(f"/api/cases/{case['case_no']}").json()
    assert shown["status"] == "decided" and shown["appeal_rights"] == {"buyer": False, "merchant": True}
    assert shown["decisions"][0]["remedy"] == "full_refund" and "arbitrator" not in shown["decisions"][0]
    error(post(buyer, f"/api/cases/{case['case_no']}/waive-appeal"), 409, "case_state")

    response = post(merchant, f"/api/cases/{case['case_no']}/waive-appeal")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"], response.json()["amount_refunded"]) == ("closed", "refunded", 1500)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, escrow(order), refunds_of(order)) == ("refunded", 1500, 0, [1500])
    clean()


def test_an_appeal_is_decided_by_another_arbitrator_finally_to_the_fen():
    order, _buyer, merchant, case, first = decided(price=900)
    appealed = post(merchant, f"/api/cases/{case['case_no']}/appeal", {"statement": "买家查看后才反馈，卡密出库时有效"})
    assert appealed.status_code == 200 and appealed.json()["status"] == "appealed"
    url = f"/api/staff/cases/{case['case_no']}/appeal-decision"
    ruling = {"remedy": "partial_refund", "amount": 450, "fault": "merchant", "reasons": "复核：双方均有责任，退一半", "clauses": [1]}
    error(post(with_session(first), url, ruling), 403, "same_arbitrator")

    response = post(with_session(staff("arbitrator")), url, ruling)

    assert response.status_code == 201 and response.json()["appeal"] is True
    case_row = Case.objects.get(case_no=case["case_no"])
    assert (case_row.status, case_row.outcome, case_row.amount_refunded) == ("closed", "partially_refunded", 450)
    order.refresh_from_db()
    assert (order.refunded_amount, escrow(order), refunds_of(order)) == (450, 450, [450])
    clean()


def test_the_buyer_appeals_a_rejection():
    _order, buyer, _merchant, case, _arbitrator = decided(remedy="rejected", fault="buyer")
    response = post(buyer, f"/api/cases/{case['case_no']}/appeal", {"statement": "我有充值失败的截图，请复核"})
    assert response.status_code == 200 and response.json()["status"] == "appealed"


def test_support_staff_cannot_decide():
    _order, _buyer, _merchant, case = at_platform()
    response = post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/decide",
                    {"remedy": "full_refund", "fault": "merchant", "reasons": REASONS, "clauses": [1]})
    error(response, 403, "decide_forbidden")
    assert Case.objects.get(case_no=case["case_no"]).status == "platform_review"


def test_a_decision_citing_a_clause_not_frozen_on_the_order_is_refused():
    _order, _buyer, _merchant, case = at_platform()
    response = post(with_session(staff("arbitrator")), f"/api/staff/cases/{case['case_no']}/decide",
                    {"remedy": "full_refund", "fault": "merchant", "reasons": REASONS, "clauses": [99]})
    error(response, 400, "invalid_citation")


# The platform ------------------------------------------------------------------------------


def test_the_staff_queue_puts_the_case_nearest_its_sla_first_and_filters_mine():
    _o1, _b1, _m1, first = at_platform()
    _o2, _b2, _m2, second = at_platform()
    support = staff("support")
    client = with_session(support)
    assert post(client, f"/api/staff/cases/{second['case_no']}/assign", {}).status_code == 200

    queue = client.get("/api/staff/cases").json()["items"]
    mine = client.get("/api/staff/cases", {"mine": "true"}).json()["items"]

    assert [c["case_no"] for c in queue] == [first["case_no"], second["case_no"]]
    assert queue[0]["next_due"] is not None
    assert [(c["case_no"], c["assignee"]) for c in mine] == [(second["case_no"], support.username)]
    assert client.get("/api/staff/cases", {"kind": "inquiry"}).json()["items"] == []
    assert len(client.get("/api/staff/cases", {"status": "platform_review", "priority": "normal"}).json()["items"]) == 2


def test_a_case_is_handed_to_an_arbitrator_and_the_assignment_stays_with_staff():
    _order, buyer, _merchant, case = at_platform()
    arbitrator = staff("arbitrator")
    response = post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/assign", {"assignee_id": arbitrator.pk})
    assert response.status_code == 200 and response.json()["assignee"] == arbitrator.username
    assert any(e["kind"] == "assigned" and e["staff_only"] for e in response.json()["events"])
    assert "assigned" not in [e["kind"] for e in buyer.get(f"/api/cases/{case['case_no']}").json()["events"]]


def test_risk_staff_read_a_case_but_cannot_act_on_it():
    _order, _buyer, _merchant, case = at_platform()
    client = with_session(staff("risk"))
    assert client.get(f"/api/staff/cases/{case['case_no']}").status_code == 200
    error(post(client, f"/api/staff/cases/{case['case_no']}/messages", {"body": "风控看一下"}), 403, "case_forbidden")
    error(post(client, f"/api/staff/cases/{case['case_no']}/assign", {}), 403, "case_forbidden")
    assert not CaseMessage.objects.filter(case__case_no=case["case_no"], party="staff").exists()


def test_a_staff_message_reaches_both_sides_and_meets_the_first_response_target():
    order, buyer, merchant, case = at_platform()
    response = post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/messages", {"body": "平台已介入，请双方提供截图"})
    assert response.status_code == 201 and response.json()["internal"] is False
    for client in (buyer, merchant):
        assert [m["party"] for m in client.get(f"/api/cases/{case['case_no']}/messages").json()][-1] == "staff"
    clock = SlaClock.objects.get(case__case_no=case["case_no"], target="first_response")
    assert clock.met_at is not None and clock.breached_at is None


def test_an_evidence_request_waits_on_the_merchant_until_it_answers():
    order, _buyer, merchant, case = at_platform()
    response = post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/evidence-requests",
                    {"party": "merchant", "text": "请提供该卡密的进货凭证", "hours": 12})
    assert response.status_code == 201 and response.json()["status"] == "open"
    shown = merchant.get(f"/api/cases/{case['case_no']}").json()
    assert shown["awaiting"] == "merchant" and 12 * 3600 - 60 < shown["progress"]["seconds"] <= 12 * 3600
    assert merchant.post(f"/api/orders/{order.order_no}/messages", {"body": "进货凭证见附件", "images": [png()]}).status_code == 201
    shown = merchant.get(f"/api/cases/{case['case_no']}").json()
    assert (shown["awaiting"], shown["evidence_requests"][0]["status"]) == ("staff", "answered")


def test_support_answers_an_inquiry_and_closes_it():
    from kadun.notifications.models import Message

    order = delivered_order()
    case = open_case(with_key(order.buyer), order, kind="inquiry", statement="请问这个卡在哪个区可以用？", remedy=None)
    response = post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/resolve", {"note": "全区通用，在官网兑换即可"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "resolved")
    assert Message.objects.filter(user=order.buyer, body__contains="全区通用").exists()


def test_the_sla_report_counts_met_targets():
    _order, _buyer, _merchant, case = at_platform()
    post(with_session(staff("support")), f"/api/staff/cases/{case['case_no']}/messages", {"body": "平台已介入处理"})
    response = with_session(staff("risk")).get("/api/staff/sla", {"days": 7})
    assert response.status_code == 200
    rows = {(r["target"], r["kind"]): r for r in response.json()["rows"]}
    assert (rows[("first_response", "key_problem")]["met"], rows[("first_response", "key_problem")]["share"]) == (1, 100.0)
    error(with_session(staff("risk")).get("/api/staff/sla", {"days": 8}), 422, "invalid_input")


def test_staff_endpoints_refuse_api_keys():
    _order, _buyer, _merchant, case = at_platform()
    error(with_key(staff("arbitrator")).get(f"/api/staff/cases/{case['case_no']}"), 403, "session_required")


def test_a_staff_member_who_bought_the_order_cannot_handle_its_case():
    arbitrator = staff("arbitrator")
    order = delivered_order(buyer=arbitrator)
    case = open_case(with_key(arbitrator), order)
    later(hours=48, seconds=1)
    error(with_session(arbitrator).get(f"/api/staff/cases/{case['case_no']}"), 403, "own_case")
    error(post(with_session(arbitrator), f"/api/staff/cases/{case['case_no']}/decide",
               {"remedy": "full_refund", "fault": "merchant", "reasons": REASONS, "clauses": [1]}), 403, "own_case")
    assert Case.objects.get(case_no=case["case_no"]).status == "platform_review"
