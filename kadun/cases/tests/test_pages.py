"""The order page's part of cases, through HTTP: 申请售后 and the open form with its drafted
statement, 申请平台介入 on a rejected refund request (and instead of a repeat request), the
order chat for buyer and merchant, and the guest who holds only the access link."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import refund_request_create, refund_request_respond
from kadun.cases.models import Case, CaseMessage
from kadun.cases.states import CaseStatus
from kadun.cases.tests.helpers import delivered_order
from kadun.cases.tests.pages import client_of, opened, png, text
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal

pytestmark = pytest.mark.django_db
S = CaseStatus


def _rejected(order, note: str = "卡密出库时已验证有效，买家查看后才反馈，不予退款"):
    key = CardKey.objects.filter(order=order).first()
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer, ip="127.0.0.1")  # seen: the merchant decides
    request = refund_request_create(order=order, reason="not_as_described", statement="面值与描述不符", key_ids=[key.pk])
    assert request.status == "awaiting_merchant"
    return refund_request_respond(request=request, shop=order.shop, action="reject", note=note)


def test_the_buyer_opens_a_case_from_the_order_page_with_a_drafted_statement():
    order = delivered_order(buyer=make_user())
    buyer = client_of(order.buyer)
    page = text(buyer.get(f"/orders/{order.order_no}/"))
    assert f'href="/orders/{order.order_no}/case/new/"' in page and "申请售后" in page

    form = text(buyer.get(f"/orders/{order.order_no}/case/new/?kind=key_problem&remedy=full_refund"))
    draft = re.search(r'<textarea name="statement" id="case-statement"[^>]*>([^<]*)</textarea>', form).group(1)
    assert order.order_no in draft and re.search(r"第\d+条", draft) and "申请全额退款" in draft
    assert "商家需在 24 小时内回复" in form and "48 小时仍未回复的，工单自动转平台介入" in form

    response = buyer.post(f"/orders/{order.order_no}/case/new/", {"kind": "key_problem", "remedy": "full_refund", "statement": draft})
    case = Case.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.case_no}/"
    assert (case.status, case.statement) == (S.AWAITING_MERCHANT, draft)
    page = text(buyer.get(f"/orders/{order.order_no}/"))
    assert 'id="case-box"' in page and f'href="/cases/{case.case_no}/"' in page and "申请售后" not in page
    assert "等待商家回复" in page


def test_changing_the_kind_redrafts_the_statement():
    order = delivered_order(buyer=make_user())
    form = text(client_of(order.buyer).get(f"/orders/{order.order_no}/case/new/?kind=refund_dispute&remedy=replacement"))
    assert "我与商家就退款未能达成一致。" in form and "申请补发" in form
    assert "收到的卡密无法使用" not in form


def test_a_refused_case_shows_the_chinese_message_beside_the_form_and_keeps_the_text():
    order = delivered_order(buyer=make_user())
    response = client_of(order.buyer).post(f"/orders/{order.order_no}/case/new/", {
        "kind": "refund_dispute", "remedy": "partial_refund", "amount": "99999", "statement": "面值不对，要求退一部分",
    })
    assert response.status_code == 400
    body = text(response)
    assert 'id="case-error"' in body and "申请金额需大于0且不超过订单可退金额。" in body
    assert "面值不对，要求退一部分" in body and not Case.objects.exists()


def test_escalating_a_rejected_request_carries_the_merchants_reason_into_the_case():
    order = delivered_order(buyer=make_user())
    request = _rejected(order)
    buyer = client_of(order.buyer)
    page = text(buyer.get(f"/orders/{order.order_no}/"))
    assert f'action="/refunds/{request.request_no}/escalate/"' in page and "申请平台介入" in page
    drafted = re.search(rf'id="escalate-statement-{request.request_no}"[^>]*>([^<]*)</textarea>', page).group(1)
    assert "卡密出库时已验证有效" in drafted and order.order_no in drafted

    response = buyer.post(f"/refunds/{request.request_no}/escalate/", {"statement": drafted})
    case = Case.objects.get(order=order)
    assert response["Location"] == f"/cases/{case.case_no}/"
    assert (case.status, case.refund_request_id) == (S.PLATFORM_REVIEW, request.pk)
    body = text(buyer.get(f"/cases/{case.case_no}/"))
    assert 'id="refund-merchant-note"' in body and "买家查看后才反馈，不予退款" in body
    assert "等待平台处理" in body


def test_a_repeat_request_after_a_rejection_points_to_the_platform():
    order = delivered_order(buyer=make_user())
    request = _rejected(order)
    key = CardKey.objects.filter(order=order).first()
    response = client_of(order.buyer).post(f"/orders/{order.order_no}/refund/", {
        "reason": "not_as_described", "statement": "再申请一次", "key_ids": [key.pk], "client_key": "again-1",
    })
    assert response.status_code == 409
    body = text(response)
    assert "重复申请不会重新计时" in body
    assert f'id="refund-escalate-link" href="/refunds/{request.request_no}/escalate/"' in body
    assert RefundRequest.objects.filter(order=order).count() == 1


def test_the_escalate_link_opens_the_drafted_form():
    order = delivered_order(buyer=make_user())
    request = _rejected(order, note="已核实卡密可用")
    body = text(client_of(order.buyer).get(f"/refunds/{request.request_no}/escalate/"))
    assert "商家答复：「已核实卡密可用」" in body and 'name="statement"' in body


def test_buyer_and_merchant_talk_on_the_order_chat_and_another_buyer_sees_nothing():
    order = delivered_order(buyer=make_user(), delivery="manual")
    buyer, merchant = client_of(order.buyer), client_of(order.shop.owner)
    response = buyer.post(f"/orders/{order.order_no}/messages/", {"from": "order", "body": "验证码是 482913，请尽快充值"})
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.order_no}/#order-chat"
    response = merchant.post(f"/orders/{order.order_no}/messages/", {"from": "order", "body": "收到，正在充值"})
    assert response["Location"] == f"/merchant/orders/{order.order_no}/#order-chat"

    for client, url in ((buyer, f"/orders/{order.order_no}/"), (merchant, f"/merchant/orders/{order.order_no}/")):
        chat = text(client.get(url))
        assert 'id="order-chat"' in chat and "验证码是 482913" in chat and "收到，正在充值" in chat
    assert CaseMessage.objects.filter(order=order, case=None).count() == 2

    stranger = client_of(make_user())
    assert stranger.post(f"/orders/{order.order_no}/messages/", {"body": "我也来说一句"}).status_code == 404
    locked = stranger.get(f"/orders/{order.order_no}/")
    assert locked.status_code == 404 and "验证码是 482913" not in text(locked)
    assert CaseMessage.objects.filter(order=order).count() == 2


def test_an_empty_chat_message_is_shown_beside_the_form():
    order = delivered_order(buyer=make_user())
    buyer = client_of(order.buyer)
    response = buyer.post(f"/orders/{order.order_no}/messages/", {"from": "order", "body": "  "}, follow=True)
    body = text(response)
    assert 'id="message-error"' in body and "消息内容不能为空。" in body
    assert not CaseMessage.objects.exists()


def test_a_message_while_a_case_is_open_joins_the_case_thread():
    order = delivered_order(buyer=make_user())
    case = opened(order)
    merchant = client_of(order.shop.owner)
    response = merchant.post(f"/orders/{order.order_no}/messages/", {"from": "case", "body": "请提供兑换失败的截图"})
    assert response["Location"].startswith(f"/merchant/cases/{case.case_no}/#msg-")
    case.refresh_from_db()
    assert case.status == S.NEGOTIATING and CaseMessage.objects.filter(case=case, party="merchant").count() == 1
    page = text(client_of(order.buyer).get(f"/orders/{order.order_no}/"))
    assert 'id="order-chat"' not in page and "协商中" in page  # the thread is on the case page now


def test_a_guest_with_the_access_link_sees_the_chat_posts_and_opens_a_case():
    product = make_product(make_shop(), keys=3)
    order, token, _ = buy(product)
    order = pay(order)
    guest = Client()
    assert guest.get(f"/o/{token}/").status_code == 302
    assert 'id="order-chat"' in text(guest.get(f"/orders/{order.order_no}/"))
    guest.post(f"/orders/{order.order_no}/messages/", {"from": "order", "body": "卡密提示无效，请帮忙看看", "images": [png()]})
    message = CaseMessage.objects.get(order=order)
    assert (message.party, message.author_id, message.attachments.count()) == ("buyer", None, 1)

    response = guest.post(f"/orders/{order.order_no}/case/new/", {"kind": "key_problem", "remedy": "full_refund", "statement": "卡密无效，申请退款"})
    case = Case.objects.get(order=order)
    assert response["Location"] == f"/cases/{case.case_no}/"
    body = text(guest.get(f"/cases/{case.case_no}/"))
    assert "卡密提示无效，请帮忙看看" in body and "卡密无效，申请退款" in body and 'id="case-progress"' in body
    assert guest.get(f"/cases/attachments/{message.attachments.get().pk}/").status_code == 200
    assert Client().get(f"/cases/{case.case_no}/").status_code == 404  # the link's session, nobody else


@pytest.mark.evidence_tampered  # writes a fact behind the app's back
def test_a_message_flagged_as_an_off_platform_lure_carries_the_warning_on_both_sides():
    order = delivered_order(buyer=make_user())
    CaseMessage.objects.create(order=order, party="merchant", author=order.shop.owner, body="加我QQ私下退款", lure=True, created_at=order.paid_at)
    warning = "⚠ 该消息疑似包含站外联系方式或站外付款方式。脱离平台交易不受担保和售后保护。"
    for client, url in ((client_of(order.buyer), f"/orders/{order.order_no}/"), (client_of(order.shop.owner), f"/merchant/orders/{order.order_no}/")):
        chat = text(client.get(url))
        start = chat.index('id="msg-1"')
        assert warning in chat[start:chat.index("</li>", start)]


def test_an_order_not_yet_paid_offers_no_case():
    product = make_product(make_shop(), keys=1)
    buyer = make_user()
    order, _, _ = buy(product, buyer=buyer)
    client = client_of(buyer)
    assert "申请售后" not in text(client.get(f"/orders/{order.order_no}/"))
    response = client.post(f"/orders/{order.order_no}/case/new/", {"kind": "inquiry", "statement": "请问什么时候发货"})
    assert response["Location"] == f"/orders/{order.order_no}/" and not Case.objects.exists()
