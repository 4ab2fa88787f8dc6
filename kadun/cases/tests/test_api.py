"""The case API over real HTTP, the buyer's and the merchant's side: each endpoint's happy path
as its user meets it, with the money moved to the 分 where an action moves it. Every error a test
provokes is checked against the endpoint's OpenAPI entry by the client (``apiclient.ApiClient``)."""
from __future__ import annotations

import pytest

from kadun.cases.tests.api_flows import (
    PNG, STATEMENT, buyer_case, clean, escrow, open_case, png, refunds_of,
)

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.cases.models import Case, CaseMessage, CaseOffer, SlaClock
from kadun.cases.tests.apiclient import error, post, with_key, with_token
from kadun.cases.tests.helpers import delivered_order, later
from kadun.inventory.models import CardKey
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db


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


def test_a_money_case_waits_for_an_open_refund_request():
    from kadun.aftersales.services import refund_request_create
    from kadun.inventory.services import key_reveal

    order = delivered_order()
    key_id = CardKey.objects.get(order=order).pk
    key_reveal(order=order, key_id=key_id, actor="buyer", user=order.buyer, ip="127.0.0.1")
    refund_request_create(order=order, reason="invalid_key", statement="提示已被使用", key_ids=[key_id], images=[png()])
    error(post(with_key(order.buyer), f"/api/orders/{order.order_no}/cases", {"kind": "key_problem", "statement": STATEMENT}),
          409, "refund_request_open")
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


def test_a_read_only_merchant_key_reads_the_case_but_cannot_write_on_it():
    order, _buyer, _merchant, case = buyer_case()
    reader = with_key(order.shop.owner, scopes=["merchant:read"])
    assert reader.get(f"/api/cases/{case['case_no']}").json()["role"] == "merchant"
    error(post(reader, f"/api/orders/{order.order_no}/messages", {"body": "我只能看"}), 403, "api_key_scope")
    assert CaseMessage.objects.filter(order=order).count() == 1


def test_a_key_writes_only_in_the_roles_it_may_write_in():
    """A key with ``buyer`` and ``merchant:read`` writes as a buyer only: on its shop's order, not at all."""
    order, _buyer, _merchant, case = buyer_case()
    key = with_key(order.shop.owner, scopes=["buyer", "merchant:read"])
    error(post(key, f"/api/orders/{order.order_no}/messages", {"body": "以买家身份？"}), 404, "order_not_found")
    error(post(key, f"/api/cases/{case['case_no']}/ask-platform"), 404, "case_not_found")
    assert CaseMessage.objects.filter(order=order).count() == 1


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


