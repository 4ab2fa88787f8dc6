"""The case page through HTTP, for the buyer and the merchant: offers answered on the page move
money to the 分, the merchant's offer form knows what the frozen rules forbid, each side's
buttons are its own, internal notes and their pictures stay with staff, attachments are served
safely, the countdown and its default outcome, decisions with their clauses and the appeal."""
from __future__ import annotations

import re

import pytest

from conftest import make_user
from kadun.cases import negotiation, review, thread
from kadun.cases.models import Case, CaseOffer
from kadun.cases.states import CaseStatus, OfferStatus, Outcome
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.cases.tests.pages import client_of, countdown_seconds, opened, png, text
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
S = CaseStatus


def _act(client, case, **data):
    return client.post(f"/cases/{case.case_no}/act/", data)


def _negotiating_with_offer(price=1234):
    """A refund dispute in which the merchant offered 6.00 元 back on the page."""
    order = delivered_order(price=price)
    case = opened(order, kind="refund_dispute", statement="与描述不符，协商退款")
    merchant = client_of(order.shop.owner)
    response = _act(merchant, case, action="offer", remedy="partial_refund", amount="6.00", note="退一半差价")
    assert response.status_code == 302 and response["Location"] == f"/merchant/cases/{case.case_no}/"
    offer = CaseOffer.objects.get(case=case)
    assert (offer.remedy, offer.amount, offer.status) == ("partial_refund", 600, OfferStatus.OPEN)
    return order, case, offer


def test_the_buyer_accepts_the_offer_on_the_page_and_is_refunded_to_the_fen():
    order, case, offer = _negotiating_with_offer()
    buyer = client_of(order.buyer)
    page = text(buyer.get(f"/cases/{case.case_no}/"))
    assert 'id="offer-open"' in page and "部分退款 6.00 元" in page and "退一半差价" in page
    assert 70 * 3600 < countdown_seconds(page, "offer-open") <= 72 * 3600
    _act(buyer, case, action="accept", offer_id=offer.pk)
    case.refresh_from_db()
    assert (case.status, case.outcome, case.amount_refunded) == (S.CLOSED, Outcome.PARTIALLY_REFUNDED, 600)
    assert Order.objects.get(pk=order.pk).refunded_amount == 600
    page = text(buyer.get(f"/cases/{case.case_no}/"))
    assert "已部分退款" in page and 'id="case-refunded" class="price">¥6.00' in page


def test_the_buyer_rejects_the_offer_and_no_money_moves():
    order, case, offer = _negotiating_with_offer()
    _act(client_of(order.buyer), case, action="reject", offer_id=offer.pk, note="差价不止一半")
    case.refresh_from_db()
    assert CaseOffer.objects.get(pk=offer.pk).status == OfferStatus.REJECTED
    assert (case.status, case.awaiting) == (S.NEGOTIATING, "merchant")
    assert Order.objects.get(pk=order.pk).refunded_amount == 0
    page = text(client_of(order.shop.owner).get(f"/merchant/cases/{case.case_no}/"))
    assert "买家拒绝方案：差价不止一半" in page and 'id="offer-form"' in page


def test_the_merchant_offer_form_refuses_what_the_frozen_rules_forbid():
    order = delivered_order()
    case = opened(order)  # 卡密问题: the rules allow a refund or a replacement, never a part refund
    merchant = client_of(order.shop.owner)
    page = text(merchant.get(f"/merchant/cases/{case.case_no}/"))
    assert re.search(r'value="partial_refund" disabled', page)
    refusal = re.search(r'<span class="refusal" data-remedy="partial_refund">([^<]+)</span>', page).group(1)
    assert re.match(r"依据退款规则第\d+条：", refusal) and "不能「部分退款」" in refusal
    response = _act(merchant, case, action="offer", remedy="partial_refund", amount="3.00")
    assert response.status_code == 400
    assert 'id="offer-error"' in text(response) and refusal in text(response)
    assert not CaseOffer.objects.exists()


def test_a_buyer_cannot_post_a_merchant_action():
    order = delivered_order()
    case = opened(order)
    response = _act(client_of(order.buyer), case, action="offer", remedy="full_refund")
    assert response.status_code == 403
    assert not CaseOffer.objects.exists() and Case.objects.get(pk=case.pk).status == S.AWAITING_MERCHANT


def test_a_merchant_cannot_answer_the_buyers_offer_or_withdraw_the_case():
    order, case, offer = _negotiating_with_offer()
    merchant = client_of(order.shop.owner)
    assert _act(merchant, case, action="accept", offer_id=offer.pk).status_code == 403
    assert _act(merchant, case, action="withdraw").status_code == 403
    assert CaseOffer.objects.get(pk=offer.pk).status == OfferStatus.OPEN
    assert Case.objects.get(pk=case.pk).status == S.NEGOTIATING and Order.objects.get(pk=order.pk).refunded_amount == 0


def test_someone_elses_case_is_not_found():
    order = delivered_order()
    case = opened(order)
    stranger = client_of(make_user())
    assert stranger.get(f"/cases/{case.case_no}/").status_code == 404
    assert _act(stranger, case, action="withdraw").status_code == 404
    assert Case.objects.get(pk=case.pk).status == S.AWAITING_MERCHANT


def test_the_merchant_and_staff_are_sent_to_their_own_case_pages():
    order = delivered_order()
    case = opened(order)
    assert client_of(order.shop.owner).get(f"/cases/{case.case_no}/")["Location"] == f"/merchant/cases/{case.case_no}/"
    assert client_of(staff("support")).get(f"/cases/{case.case_no}/")["Location"] == f"/staff/cases/{case.case_no}/"
    assert client_of(order.buyer).get(f"/merchant/cases/{case.case_no}/").status_code in (302, 404)


def test_internal_notes_and_their_pictures_never_reach_buyer_or_merchant():
    order = delivered_order()
    case = opened(order)
    support = staff("support")
    note = thread.message_post(order=order, party="staff", author=support, body="内部备注：该商家本月第三次被投诉", images=[png()], internal=True)
    picture = note.attachments.get()
    for client, url in ((client_of(order.buyer), f"/cases/{case.case_no}/"), (client_of(order.shop.owner), f"/merchant/cases/{case.case_no}/")):
        assert "该商家本月第三次被投诉" not in text(client.get(url))
        assert "该商家本月第三次被投诉" not in text(client.get(f"/orders/{order.order_no}/"))
        assert client.get(f"/cases/attachments/{picture.pk}/").status_code == 404
    assert client_of(support).get(f"/cases/attachments/{picture.pk}/").status_code == 200


def test_an_attachment_is_served_inline_with_its_type_and_never_sniffed():
    order = delivered_order()
    case = opened(order, images=[png()])
    picture = case.messages.get().attachments.get()
    page = text(client_of(order.shop.owner).get(f"/merchant/cases/{case.case_no}/"))
    assert f'href="/cases/attachments/{picture.pk}/"' in page and 'id="msg-1"' in page
    response = client_of(order.shop.owner).get(f"/cases/attachments/{picture.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline" and "private" in response["Cache-Control"]


def test_the_case_page_counts_down_to_the_merchants_deadline_with_its_default_outcome():
    order = delivered_order()
    case = opened(order)
    page = text(client_of(order.buyer).get(f"/cases/{case.case_no}/"))
    assert 48 * 3600 - 5 <= countdown_seconds(page, "case-waiting") <= 48 * 3600
    waiting = re.search(r'id="case-waiting">(.*?)</p>', page, re.S).group(1)
    assert "商家需在" in waiting and "内回复" in waiting and re.search(r">4[78]:\d\d:\d\d<", waiting)
    assert "逾期默认结果：<b>商家逾期未回复，工单自动转平台介入</b>" in page
    later(hours=30)
    page = text(client_of(order.buyer).get(f"/cases/{case.case_no}/"))
    assert 18 * 3600 - 5 <= countdown_seconds(page, "case-waiting") <= 18 * 3600
    assert 'id="ask-platform"' in page  # past the merchant's 24 hours: the buyer may ask now


def test_a_decided_case_shows_the_cited_clauses_and_evidence_and_the_merchant_may_appeal_or_waive():
    order = delivered_order(price=1500)
    case = opened(order)
    later(hours=48, seconds=1)
    clause = order.policy_snapshot["clauses"][0]
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy="full_refund", fault="merchant",
                       reasons="卡密在首次查看前已被使用，证据见买家陈述", clauses=[clause["no"]], evidence=[1])
    buyer_page = text(client_of(order.buyer).get(f"/cases/{case.case_no}/"))
    assert f'<li data-clause="{clause["no"]}"><b>第{clause["no"]}条</b> {clause["text"]}</li>' in buyer_page
    assert '<a href="#msg-1">#1</a>' in buyer_page and 'id="msg-1"' in buyer_page
    assert "全额退款</b> ¥15.00" in buyer_page and "申诉期还剩" in buyer_page
    assert 'id="appeal-form"' not in buyer_page  # fully refunded: nothing to appeal
    merchant = client_of(order.shop.owner)
    assert 'id="appeal-form"' in text(merchant.get(f"/merchant/cases/{case.case_no}/"))
    _act(merchant, case, action="waive")
    case.refresh_from_db()
    assert (case.status, case.outcome, case.amount_refunded) == (S.CLOSED, Outcome.REFUNDED, 1500)
    assert Order.objects.get(pk=order.pk).refunded_amount == 1500


def test_an_appeal_needs_a_reason_shown_beside_its_form():
    order = delivered_order()
    case = opened(order)
    later(hours=48, seconds=1)
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy="rejected", fault="buyer",
                       reasons="买家查看卡密后才反馈，无使用失败的证据", clauses=[1])
    buyer = client_of(order.buyer)
    response = _act(buyer, case, action="appeal", statement="不服")
    assert response.status_code == 400 and "请写明申诉理由（至少10个字）。" in text(response)
    assert Case.objects.get(pk=case.pk).status == S.DECIDED
    _act(buyer, case, action="appeal", statement="兑换失败的截图已在工单中提交，卡密确实无效")
    assert Case.objects.get(pk=case.pk).status == S.APPEALED


def test_the_buyer_withdraws_the_case_and_the_hold_ends():
    order = delivered_order()
    case = opened(order)
    _act(client_of(order.buyer), case, action="withdraw")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.WITHDRAWN)
    assert Order.objects.get(pk=order.pk).refund_hold is False


def test_the_merchant_redoes_a_service_from_the_case_page():
    order = delivered_order(delivery="manual")
    case = opened(order, kind="service_dispute", remedy="replacement", statement="充值未到账，请重新充值")
    offer = negotiation.offer_make(case=case, remedy="replacement", hours=6, author=order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=order.buyer)
    merchant = client_of(order.shop.owner)
    page = text(merchant.get(f"/merchant/cases/{case.case_no}/"))
    assert 'id="fulfil-form"' in page and "商家需在" in page and "内完成补发" in page
    assert _act(merchant, case, action="fulfil", note="").status_code == 400
    _act(merchant, case, action="fulfil", note="已重新充值到账号 player-1")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.REPLACED)


def test_the_merchant_list_shows_open_cases_nearest_deadline_first_and_the_nav_count():
    shop_order = delivered_order()
    first = opened(shop_order)
    second_order = delivered_order(shop=shop_order.shop)
    later(hours=1)
    second = opened(second_order, kind="refund_dispute", statement="与描述不符，要求退款")
    body = text(client_of(shop_order.shop.owner).get("/merchant/cases/"))
    assert body.index(first.case_no) < body.index(second.case_no)
    assert re.search(r'id="nav-cases">售后工单 <span class="badge warn">2</span>', body)
    assert body.count('data-deadline="') == 2


def test_the_case_page_in_english():
    order = delivered_order()
    case = opened(order)
    buyer = client_of(order.buyer)
    buyer.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(buyer.get(f"/cases/{case.case_no}/"))
    assert '<html lang="en">' in page
    for words in ("After-sales cases", "Key problem", "Progress", "The merchant must reply within", "If no one acts in time: ", "Messages", "Withdraw case"):
        assert words in page, words
    for words in ("处理进度", "沟通记录", "商家需在", "撤回工单"):
        assert words not in page, words


def test_the_merchants_closed_cases_page_by_keyset():
    from django.test import Client

    from conftest import make_shop
    from kadun.cases import services
    from kadun.cases.tests.helpers import delivered_order

    shop = make_shop()
    made = []
    for _ in range(23):
        case = services.case_open(order=delivered_order(shop=shop), kind="inquiry", statement="请问这张卡在哪里兑换")
        services.case_withdraw(case=case)
        made.append(case.case_no)
    client = Client()
    client.force_login(shop.owner)
    first = client.get("/merchant/cases/").content.decode()
    assert made[-1] in first and made[3] in first and made[2] not in first  # the newest 20
    older = first.split('href="?before=')[1].split('"')[0]
    second = client.get(f"/merchant/cases/?before={older}").content.decode()
    assert all(no in second for no in made[:3]) and made[3] not in second


def test_the_merchants_case_list_costs_the_same_queries_for_more_cases():
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from conftest import make_shop
    from kadun.cases import services
    from kadun.cases.tests.helpers import delivered_order

    shop = make_shop()
    client = Client()
    client.force_login(shop.owner)

    def queries_with(n):
        for _ in range(n):
            case = services.case_open(order=delivered_order(shop=shop), kind="inquiry", statement="请问这张卡在哪里兑换")
            services.case_open(order=delivered_order(shop=shop), kind="refund_dispute", statement="与描述不符，申请退款", remedy="full_refund")
            services.case_withdraw(case=case)
        client.get("/merchant/cases/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/merchant/cases/").status_code == 200
        return len(ctx.captured_queries)

    assert queries_with(2) == queries_with(6)
