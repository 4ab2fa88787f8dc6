"""The complaint board through HTTP: the pages end to end (publish from the order page,
moderation in the staff console, the merchant's reply, withdrawal, the board's filters) and the
API with its permission rules (another order's buyer, another shop's merchant, anonymous)."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_user
from kadun.cases.tests.apiclient import with_key
from kadun.cases.tests.helpers import delivered_order, staff
from kadun.evidence import complaints
from kadun.evidence.models import Entry
from kadun.evidence.models_complaints import Complaint
from kadun.evidence.tests.complaint_helpers import STATEMENT, decided_order, publish, published, silent_merchant_order

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Pages ---------------------------------------------------------------------------------------


def test_the_order_page_links_an_eligible_buyer_to_the_publish_form():
    order = decided_order()
    page = logged_in(order.buyer).get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="complaint-new-link"' in page and f"/orders/{order.order_no}/complaint/new/" in page
    plain = delivered_order(buyer=make_user())
    assert 'id="complaint-new-link"' not in logged_in(plain.buyer).get(f"/orders/{plain.order_no}/").content.decode()
    assert 'id="complaint-new-link"' not in logged_in(order.shop.owner).get(f"/orders/{order.order_no}/").content.decode()


def test_the_whole_flow_through_the_pages():
    order = decided_order(price=30000)
    buyer, merchant, support = logged_in(order.buyer), logged_in(order.shop.owner), logged_in(staff("support"))
    form = buyer.get(f"/orders/{order.order_no}/complaint/new/")
    assert form.status_code == 200 and "¥200–1000" in form.content.decode()

    response = buyer.post(f"/orders/{order.order_no}/complaint/new/", {"statement": STATEMENT, "amount_band": "0-50"})
    complaint = Complaint.objects.get(order_id=order.pk)
    assert response.status_code == 302 and complaint.amount_band == "200-1000"  # a posted verified field is ignored
    assert Client().get(f"/complaints/{complaint.complaint_no}/").status_code == 404  # pending: not public
    assert complaint.complaint_no in support.get("/staff/complaints/").content.decode()

    assert support.post(f"/staff/complaints/{complaint.complaint_no}/act/", {"action": "approve"}).status_code == 302
    public = Client().get(f"/complaints/{complaint.complaint_no}/").content.decode()
    assert STATEMENT in public and "¥200–1000" in public and order.order_no not in public and 'id="bundle-link"' not in public
    assert complaint.complaint_no in Client().get("/complaints/").content.decode()

    merchant.post(f"/complaints/{complaint.complaint_no}/reply/", {"body": "我们已核实，卡密售出时有效。"})
    assert "我们已核实，卡密售出时有效。" in Client().get(f"/complaints/{complaint.complaint_no}/").content.decode()
    again = merchant.post(f"/complaints/{complaint.complaint_no}/reply/", {"body": "第二次回复，应当被拒绝。"})
    assert again.status_code == 409

    buyer.post(f"/complaints/{complaint.complaint_no}/withdraw/")
    after = Client().get(f"/complaints/{complaint.complaint_no}/").content.decode()
    assert 'id="withdrawn-notice"' in after and STATEMENT not in after and "卡密售出时有效" not in after


def test_the_staff_page_refuses_an_unfavourable_rejection_and_says_why():
    complaint = publish(decided_order())
    support = logged_in(staff("support"))
    page = support.get(f"/staff/complaints/{complaint.complaint_no}/").content.decode()
    assert "不得因曝光对商家或平台不利而驳回" in page
    response = support.post(f"/staff/complaints/{complaint.complaint_no}/act/", {"action": "reject", "reason": "unfavourable", "note": "差评影响店铺"})
    assert response.status_code == 400 and Complaint.objects.get(pk=complaint.pk).status == "pending"


def test_the_staff_console_is_404_to_others():
    complaint = publish(decided_order())
    assert logged_in(make_user()).get("/staff/complaints/").status_code == 404
    assert Client().get(f"/staff/complaints/{complaint.complaint_no}/").status_code == 404


def test_the_board_filters_by_shop_category_outcome_and_period():
    a = published(decided_order())
    b = published(silent_merchant_order())
    board = Client().get("/complaints/").content.decode()
    assert a.complaint_no in board and b.complaint_no in board
    only_a = Client().get(f"/complaints/?shop={a.shop_id}").content.decode()
    assert a.complaint_no in only_a and b.complaint_no not in only_a
    assert b.complaint_no not in Client().get("/complaints/?category=software").content.decode()
    pending = Client().get("/complaints/?outcome=pending").content.decode()
    assert a.complaint_no in pending
    assert a.complaint_no not in Client().get("/complaints/?outcome=refunded").content.decode()
    assert a.complaint_no in Client().get("/complaints/?period=30").content.decode()


def test_the_board_pages_by_keyset():
    made = [published(decided_order()) for _ in range(3)]
    from kadun.evidence import views_complaints

    old, views_complaints.PER_PAGE = views_complaints.PER_PAGE, 2
    try:
        first = Client().get("/complaints/").content.decode()
        assert made[2].complaint_no in first and made[0].complaint_no not in first
        second = Client().get(f"/complaints/?before={made[1].pk}").content.decode()
        assert made[0].complaint_no in second and made[2].complaint_no not in second
    finally:
        views_complaints.PER_PAGE = old


def test_the_board_and_a_complaint_in_english():
    c = published(decided_order())
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(f"/complaints/{c.complaint_no}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Verified facts" in page


# API -----------------------------------------------------------------------------------------


def test_api_publish_by_the_buyer_and_a_verified_field_in_the_body_is_refused():
    order = decided_order()
    api = with_key(order.buyer)
    refused = api.post(f"/api/orders/{order.order_no}/complaint", {"statement": STATEMENT, "amount_band": "0-50"}, content_type="application/json")
    assert refused.status_code == 422 and not Complaint.objects.exists()
    created = api.post(f"/api/orders/{order.order_no}/complaint", {"statement": STATEMENT}, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert api.post(f"/api/orders/{order.order_no}/complaint", {"statement": STATEMENT}, content_type="application/json").json()["code"] == "complaint_exists"
    no = created.json()["complaint_no"]
    assert api.patch(f"/api/complaints/{no}", {"amount_band": "0-50"}, content_type="application/json").status_code in (404, 405)


def test_api_no_decision_is_refused_with_its_code():
    order = delivered_order(buyer=make_user())
    response = with_key(order.buyer).post(f"/api/orders/{order.order_no}/complaint", {"statement": STATEMENT}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "complaint_not_eligible")


def test_api_another_orders_buyer_the_merchant_and_anonymous_cannot_publish():
    order = decided_order()
    body = {"statement": STATEMENT}
    assert with_key(make_user()).post(f"/api/orders/{order.order_no}/complaint", body, content_type="application/json").status_code == 404
    assert Client().post(f"/api/orders/{order.order_no}/complaint", body, content_type="application/json").status_code == 404
    merchant = with_key(order.shop.owner, scopes=["merchant"]).post(f"/api/orders/{order.order_no}/complaint", body, content_type="application/json")
    assert merchant.status_code in (403, 404) and not Complaint.objects.exists()


def test_api_a_pending_complaint_is_404_to_everyone_but_its_buyer_and_staff():
    order = decided_order()
    c = publish(order)
    assert Client().get(f"/api/complaints/{c.complaint_no}").status_code == 404
    assert with_key(make_user()).get(f"/api/complaints/{c.complaint_no}").status_code == 404
    assert with_key(order.shop.owner, scopes=["merchant"]).get(f"/api/complaints/{c.complaint_no}").status_code == 404
    assert with_key(order.buyer).get(f"/api/complaints/{c.complaint_no}").json()["status"] == "pending"


def test_api_reply_only_by_the_shops_merchant_once():
    order = decided_order()
    other = decided_order()
    c = published(order)
    body = {"body": "我们已核实，卡密售出时有效。"}
    assert with_key(other.shop.owner, scopes=["merchant"]).post(f"/api/complaints/{c.complaint_no}/reply", body,
                                                                 content_type="application/json").status_code == 403
    assert Client().post(f"/api/complaints/{c.complaint_no}/reply", body, content_type="application/json").status_code == 401
    mine = with_key(order.shop.owner, scopes=["merchant"])
    assert mine.post(f"/api/complaints/{c.complaint_no}/reply", body, content_type="application/json").status_code == 201
    assert mine.post(f"/api/complaints/{c.complaint_no}/reply", body, content_type="application/json").json()["code"] == "reply_exists"


def test_api_withdraw_by_the_buyer_only_logged():
    order = decided_order()
    c = published(order)
    assert with_key(make_user()).post(f"/api/complaints/{c.complaint_no}/withdraw").status_code == 403
    assert with_key(order.buyer).post(f"/api/complaints/{c.complaint_no}/withdraw").json()["withdrawn"] is True
    assert Entry.objects.filter(subject_type="complaint", subject_id=c.pk, kind="complaint.withdrawn").count() == 1


def test_api_the_board_lists_published_ones_with_their_facts():
    c = published(decided_order())
    items = Client().get("/api/complaints").json()["items"]
    assert [i["complaint_no"] for i in items] == [c.complaint_no] and items[0]["fields"][1]["value"] == "¥0–50"


def test_api_moderation_by_staff_session_only_and_only_for_the_listed_reasons():
    c = publish(decided_order())
    support = logged_in(staff("support"))
    url = f"/api/staff/complaints/{c.complaint_no}/moderate"
    assert with_key(make_user()).post(url, {"action": "approve"}, content_type="application/json").status_code == 403
    response = support.post(url, {"action": "reject", "reason": "unfavourable", "note": "对商家不利"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_moderation")
    assert support.post(url, {"action": "approve"}, content_type="application/json").json()["status"] == "published"
    assert logged_in(make_user()).get("/api/staff/complaints").status_code == 403


def test_api_a_guest_buyer_publishes_with_the_order_token():
    from conftest import buy, make_product, pay
    from kadun.merchants.services import breach_record

    order, token, _url = buy(make_product(keys=2))
    order = pay(order)
    breach_record(shop_id=order.shop_id, kind="refund_no_response", order_id=order.pk)
    response = Client().post(f"/api/orders/{order.order_no}/complaint", {"statement": STATEMENT}, content_type="application/json",
                             HTTP_X_ORDER_TOKEN=token)
    assert response.status_code == 201
    c = Complaint.objects.get(order_id=order.pk)
    assert c.author_id is None
    complaints.complaint_withdraw(complaint=c, role="buyer")


def test_the_case_page_links_the_buyer_to_the_publish_form_and_then_to_the_complaint():
    order = decided_order()
    case_no = order.cases.get().case_no
    buyer = logged_in(order.buyer)
    assert 'id="complaint-new-link"' in buyer.get(f"/cases/{case_no}/").content.decode()
    c = publish(order)
    page = buyer.get(f"/cases/{case_no}/").content.decode()
    assert f"/complaints/{c.complaint_no}/" in page and 'id="complaint-new-link"' not in page


def test_the_shop_include_lists_the_shops_published_complaints_only():
    from django.template import Context, Template

    from kadun.evidence import selectors_complaints as reads

    order = decided_order()
    shown = published(order)
    hidden = publish(decided_order(shop=order.shop))  # pending: not listed
    assert reads.complaints_for_shop(order.shop_id, 5) == [shown]
    html = Template("{% load complaints %}{% shop_complaints shop_id 5 %}").render(Context({"shop_id": order.shop_id}))
    assert shown.complaint_no in html and hidden.complaint_no not in html and f"/complaints/?shop={order.shop_id}" in html
