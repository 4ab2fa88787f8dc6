"""The case API over real HTTP: each endpoint's happy path as its user meets it, with the money
moved to the 分 where an action moves it. Every error a test provokes is checked against the
endpoint's OpenAPI entry by the client (``apiclient.ApiClient``)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.backoffice.selectors import platform_check
from kadun.cases.models import Case, CaseMessage, CaseOffer, SlaClock
from kadun.cases.tests.apiclient import error, post, with_key, with_session, with_token
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.inventory.models import CardKey
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.payments.models import Refund

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
STATEMENT = "卡密提示已被使用，无法充值"
REASONS = "卡密在首次查看前已被使用，验货记录为证"


def png(name="shot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def open_case(client, order, **data):
    data = {"kind": "key_problem", "statement": STATEMENT, "remedy": "full_refund", **data}
    response = post(client, f"/api/orders/{order.order_no}/cases", data)
    assert response.status_code == 201, response.content
    return response.json()


def buyer_case(kind="key_problem", **order_kw):
    order = delivered_order(**order_kw)
    buyer, merchant = with_key(order.buyer), with_key(order.shop.owner)
    case = open_case(buyer, order, kind=kind)
    return order, buyer, merchant, case


def at_platform(**order_kw):
    """A key-problem case the merchant left unanswered: with the platform after 48 h."""
    order, buyer, merchant, case = buyer_case(**order_kw)
    later(hours=48, seconds=1)
    return order, buyer, merchant, case


def decided(remedy="full_refund", fault="merchant", **order_kw):
    order, buyer, merchant, case = at_platform(**order_kw)
    arbitrator = staff("arbitrator")
    response = post(with_session(arbitrator), f"/api/staff/cases/{case['case_no']}/decide",
                    {"remedy": remedy, "fault": fault, "reasons": REASONS, "clauses": [1], **({"amount": 450} if remedy == "partial_refund" else {})})
    assert response.status_code == 201, response.content
    return order, buyer, merchant, case, arbitrator


def escrow(order) -> int:
    return balance_of(codes.escrow(order.pk))


def refunds_of(order) -> list[int]:
    return list(Refund.objects.filter(order=order).order_by("id").values_list("amount", flat=True))


def clean():
    report = platform_check()
    assert report.ok, report.problems


# Opening ----------------------------------------------------------------------------------


def test_the_buyer_opens_a_case_with_a_screenshot_and_sees_the_merchants_deadline():
    order = delivered_order()
    response = with_key(order.buyer).post(
        f"/api/orders/{order.order_no}/cases", {"kind": "key_problem", "statement": STATEMENT, "remedy": "full_refund", "images": [png()]},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["role"], body["awaiting"]) == ("awaiting_merchant", "buyer", "merchant")
    assert body["amount_claimed"] == 1000 and body["amount_refunded"] == 0
    progress = body["progress"]
    assert [s["state"] for s in progress["steps"]] == ["done", "current", "todo", "todo", "todo"]
    assert 48 * 3600 - 60 < progress["seconds"] <= 48 * 3600 and progress["default_outcome"] == "商家逾期未回复，工单自动转平台介入"
    messages = with_key(order.buyer).get(f"/api/cases/{body['case_no']}/messages").json()
    assert [(m["no"], m["party"], m["body"]) for m in messages] == [(1, "buyer", STATEMENT)]
    assert messages[0]["attachments"][0]["content_type"] == "image/png"


def test_an_open_case_holds_the_order_the_buyer_cannot_confirm():
    order, buyer, _merchant, _case = buyer_case()
    response = post(buyer, f"/api/orders/{order.order_no}/confirm")
    assert response.status_code == 409
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_a_guest_opens_a_case_with_the_order_token():
    product = make_product(make_shop(), keys=2)
    order, token, _ = buy(product)
    order = pay(order)

    body = open_case(with_token(token), order, kind="inquiry", statement="请问这个卡在哪个区可以用？", remedy=None)

    assert (body["kind"], body["status"], body["awaiting"]) == ("inquiry", "platform_review", "staff")
    assert Case.objects.get(case_no=body["case_no"]).order_id == order.pk


def test_a_retried_open_with_the_same_idempotency_key_answers_the_first_case():
    order = delivered_order()
    buyer = with_key(order.buyer)
    data = {"kind": "key_problem", "statement": STATEMENT}

    first = post(buyer, f"/api/orders/{order.order_no}/cases", data, headers={"Idempotency-Key": "open-1"})
    again = post(buyer, f"/api/orders/{order.order_no}/cases", data, headers={"Idempotency-Key": "open-1"})
    other = post(buyer, f"/api/orders/{order.order_no}/cases", data, headers={"Idempotency-Key": "open-2"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["case_no"] == first.json()["case_no"]
    error(other, 409, "case_open")
    assert Case.objects.filter(order=order).count() == 1 and CaseMessage.objects.filter(order=order).count() == 1


def test_the_merchant_cannot_open_a_case_on_its_own_sale():
    order = delivered_order()
    error(post(with_key(order.shop.owner), f"/api/orders/{order.order_no}/cases", {"kind": "complaint", "statement": "我要投诉我自己"}),
          403, "not_the_buyer")
    assert not Case.objects.filter(order=order).exists()


def test_a_short_statement_is_refused_and_opens_nothing():
    order = delivered_order()
    error(post(with_key(order.buyer), f"/api/orders/{order.order_no}/cases", {"kind": "key_problem", "statement": "坏了"}),
          400, "statement_required")
    assert not Case.objects.filter(order=order).exists()


def test_the_draft_names_the_order_and_cites_the_frozen_clause():
    order = delivered_order()
    response = with_key(order.buyer).get(f"/api/orders/{order.order_no}/cases/draft", {"kind": "key_problem", "remedy": "full_refund"})
    assert response.status_code == 200
    text = response.json()["statement"]
    assert text.startswith(f"订单号 {order.order_no}") and "依据退款规则第" in text and text.endswith("申请全额退款。")


def test_the_cases_of_an_order_are_listed_for_its_buyer_and_its_merchant():
    order, buyer, merchant, case = buyer_case()
    for client in (buyer, merchant):
        listed = client.get(f"/api/orders/{order.order_no}/cases").json()
        assert [(c["case_no"], c["status"]) for c in listed] == [(case["case_no"], "awaiting_merchant")]


def test_the_buyer_lists_their_own_cases():
    order, buyer, _merchant, case = buyer_case()
    delivered_order()  # someone else's
    response = buyer.get("/api/cases")
    assert response.status_code == 200
    assert [c["case_no"] for c in response.json()["items"]] == [case["case_no"]]


def test_a_rejected_refund_request_is_escalated_to_the_platform_with_its_history():
    from kadun.aftersales.services import refund_request_create, refund_request_respond
    from kadun.inventory.services import key_reveal

    order = delivered_order()
    key_id = CardKey.objects.get(order=order).pk
    key_reveal(order=order, key_id=key_id, actor="buyer", user=order.buyer, ip="127.0.0.1")
    request = refund_request_create(order=order, reason="invalid_key", statement="提示已被使用", key_ids=[key_id], images=[png()])
    refund_request_respond(request=request, shop=order.shop, action="reject", note="卡密出库时有效，请检查充值区服")

    response = with_key(order.buyer).post(f"/api/refund-requests/{request.request_no}/escalate",
                                          {"statement": "商家拒绝退款，但卡密确实无法使用", "images": [png("again.png")]})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["refund_request_no"], body["kind"], body["awaiting"]) == ("platform_review", request.request_no, "key_problem", "staff")
    assert body["key_ids"] == [key_id]


# The thread ---------------------------------------------------------------------------------


def test_the_merchants_reply_starts_negotiation_and_hands_the_buyer_a_deadline():
    order, buyer, merchant, case = buyer_case()
    response = merchant.post(f"/api/orders/{order.order_no}/messages", {"body": "卡密是好的，请在官网兑换", "images": [png()]})

    assert response.status_code == 201, response.content
    assert (response.json()["no"], response.json()["party"], response.json()["case_no"]) == (2, "merchant", case["case_no"])
    detail = buyer.get(f"/api/cases/{case['case_no']}").json()
    assert (detail["status"], detail["awaiting"]) == ("negotiating", "buyer")
    assert detail["progress"]["default_outcome"] == "买家逾期未回应，按商家意见结案"


def test_the_order_chat_before_any_case_has_no_case_number():
    order = delivered_order(delivery="manual")
    response = post(with_key(order.buyer), f"/api/orders/{order.order_no}/messages", {"body": "验证码是 123456"})
    assert response.status_code == 201 and response.json()["case_no"] is None
    shown = with_key(order.shop.owner).get(f"/api/orders/{order.order_no}/messages").json()
    assert [(m["party"], m["body"]) for m in shown] == [("buyer", "验证码是 123456")]


def test_a_retried_message_with_the_same_idempotency_key_is_posted_once():
    order, buyer, _merchant, _case = buyer_case()
    for _ in range(2):
        response = post(buyer, f"/api/orders/{order.order_no}/messages", {"body": "补充：充值时提示已使用"}, headers={"Idempotency-Key": "m-1"})
        assert response.status_code == 201
    assert CaseMessage.objects.filter(order=order, body="补充：充值时提示已使用").count() == 1


def test_an_image_of_the_thread_is_served_to_both_sides():
    order, buyer, merchant, case = buyer_case()
    buyer.post(f"/api/orders/{order.order_no}/messages", {"body": "截图", "images": [png()]})
    [attachment] = [a for m in buyer.get(f"/api/cases/{case['case_no']}/messages").json() for a in m["attachments"]]
    for client in (buyer, merchant):
        response = client.get(attachment["url"])
        assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png" and "no-store" in response["Cache-Control"]


# Asking the platform, withdrawing ---------------------------------------------------------


def test_the_buyer_asks_the_platform_only_after_the_merchants_reply_time():
    order, buyer, _merchant, case = buyer_case()
    url = f"/api/cases/{case['case_no']}/ask-platform"
    error(post(buyer, url), 409, "escalation_too_early")
    later(hours=24, seconds=1)
    response = post(buyer, url)
    assert response.status_code == 200 and response.json()["status"] == "platform_review"
    assert SlaClock.objects.filter(case__case_no=case["case_no"]).count() == 2


def test_the_merchant_asks_the_platform_during_negotiation():
    order, _buyer, merchant, case = buyer_case()
    post(merchant, f"/api/orders/{order.order_no}/messages", {"body": "我们无法达成一致"})
    response = post(merchant, f"/api/cases/{case['case_no']}/ask-platform")
    assert response.status_code == 200 and response.json()["status"] == "platform_review"


def test_a_withdrawn_case_releases_the_order_the_buyer_confirms():
    order, buyer, _merchant, case = buyer_case()
    response = post(buyer, f"/api/cases/{case['case_no']}/withdraw")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "withdrawn")
    assert post(buyer, f"/api/orders/{order.order_no}/confirm").status_code == 200
    assert refunds_of(order) == []


# Offers ---------------------------------------------------------------------------------


def test_a_partial_refund_offer_accepted_is_paid_to_the_fen():
    order, buyer, merchant, case = buyer_case(kind="refund_dispute", price=1234)
    made = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "partial_refund", "amount": 600, "note": "退一半多一点"})
    assert made.status_code == 201, made.content
    offer = made.json()
    assert (offer["remedy"], offer["amount"], offer["status"]) == ("partial_refund", 600, "open")
    shown = buyer.get(f"/api/cases/{case['case_no']}").json()
    assert shown["open_offer_id"] == offer["id"] and shown["progress"]["default_outcome"] == "买家逾期未答复方案，视为接受并自动执行"

    response = post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["outcome"], body["amount_refunded"]) == ("closed", "partially_refunded", 600)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("delivered", 600)
    assert refunds_of(order) == [600] and escrow(order) == 634
    clean()


def test_a_full_refund_offer_accepted_withdraws_the_key_and_empties_the_escrow():
    order, buyer, merchant, case = buyer_case(price=1500)
    offer = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "full_refund"}).json()
    post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept")
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, escrow(order), refunds_of(order)) == ("refunded", 1500, 0, [1500])
    assert CardKey.objects.get(order=order).status == "withdrawn"
    clean()


def test_a_rejected_offer_hands_the_merchant_a_reply_deadline():
    _order, buyer, merchant, case = buyer_case(kind="refund_dispute")
    offer = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "partial_refund", "amount": 100}).json()
    response = post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/reject", {"note": "太少了"})
    assert response.status_code == 200
    assert (response.json()["awaiting"], response.json()["offers"][0]["status"]) == ("merchant", "rejected")
    error(post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept"), 409, "offer_closed")


def test_an_offer_the_frozen_rules_do_not_allow_is_refused_citing_the_clause():
    from kadun.catalog.services import policy_update

    shop = make_shop()
    product = make_product(shop, keys=3)
    policy_update(shop=shop, product_id=product.pk, rules={"defect_remedy": "refund"})
    order, _t, _u = buy(product, buyer=make_user())
    order = pay(order)
    case = open_case(with_key(order.buyer), order, remedy="replacement")
    merchant = with_key(shop.owner)

    shown = merchant.get(f"/api/cases/{case['case_no']}").json()
    assert {r["remedy"]: r["allowed"] for r in shown["offer_remedies"]}["replacement"] is False
    response = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "replacement", "hours": 4})
    error(response, 400, "action_not_allowed")
    assert "第" in response.json()["message"] and not CaseOffer.objects.filter(case__case_no=case["case_no"]).exists()


def test_a_replacement_promised_without_stock_is_kept_with_new_keys():
    from kadun.inventory.services import keys_import

    order, buyer, merchant, case = buyer_case(keys=1)
    offer = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "replacement", "hours": 4}).json()
    accepted = post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept").json()
    assert accepted["status"] == "awaiting_replacement"
    old_key = CardKey.objects.get(order=order)
    error(post(merchant, f"/api/merchant/cases/{case['case_no']}/fulfil"), 400, "out_of_stock")
    keys_import(product=old_key.product, lines=[(1, "KEY-NEW-000001-SECRET")], source="test")

    response = post(merchant, f"/api/merchant/cases/{case['case_no']}/fulfil")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "replaced")
    keys = {k.pk: k.status for k in CardKey.objects.filter(order=order)}
    assert keys[old_key.pk] == "withdrawn" and sorted(keys.values()) == ["sold", "withdrawn"]
    assert refunds_of(order) == [] and escrow(order) == 1000
    clean()


def test_a_service_done_again_keeps_the_promise():
    order, buyer, merchant, case = buyer_case(delivery="manual", price=3000)
    offer = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "replacement", "hours": 6}).json()
    post(buyer, f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept")
    error(post(merchant, f"/api/merchant/cases/{case['case_no']}/fulfil", {"note": ""}), 400, "note_required")
    response = post(merchant, f"/api/merchant/cases/{case['case_no']}/fulfil", {"note": "已重新代充到账"})
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "replaced")


def test_the_merchant_lists_its_open_cases():
    order, _buyer, merchant, case = buyer_case()
    closed = open_case(with_key(order.buyer), delivered_order(shop=order.shop, buyer=order.buyer), kind="inquiry", statement="这个怎么用呢？")
    post(with_key(order.buyer), f"/api/cases/{closed['case_no']}/withdraw")
    everything = merchant.get("/api/merchant/cases").json()["items"]
    open_only = merchant.get("/api/merchant/cases", {"open_only": "true"}).json()["items"]
    assert {c["case_no"] for c in everything} == {case["case_no"], closed["case_no"]}
    assert [c["case_no"] for c in open_only] == [case["case_no"]]


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
