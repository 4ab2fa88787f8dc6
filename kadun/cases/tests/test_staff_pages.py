"""The staff console of cases through HTTP: the queue (order, filters, cost per page), the case
page (what staff see, internal notes included), the actions and who may take them, and the
refund requests with their evidence."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_user
from kadun.cases import review, selectors, services, thread
from kadun.cases.models import Case, CaseDecision, CaseEvent, CaseMessage
from kadun.cases.states import CaseStatus, Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.core import clock
from kadun.ledger.models import JournalEntry
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
S = CaseStatus
QUEUE = reverse("cases:staff_queue")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def inquiry(priority="normal", **kw):
    order = delivered_order(**kw)
    return services.case_open(order=order, kind="inquiry", statement="请问这张卡怎么兑换？", author=order.buyer, priority=priority)


def dispute(**kw):
    """A key problem the merchant left unanswered: with the platform after 48 hours."""
    order = delivered_order(**kw)
    case = services.case_open(order=order, kind="key_problem", statement="卡密提示已被使用，无法充值", remedy="full_refund", author=order.buyer)
    thread.message_post(order=order, party=Party.BUYER, author=order.buyer, body="附上充值失败的截图说明")
    later(hours=48, seconds=1)
    return Case.objects.get(pk=case.pk)


def case_url(case, act=False):
    return reverse("cases:staff_case_act" if act else "cases:staff_case", args=[case.case_no])


def queue_order(response) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', response.content.decode())


def decide_post(**over):
    data = {"action": "decide", "remedy": "full_refund", "fault": "merchant", "reasons": "卡密在首次查看前已被使用，验货记录为证",
            "clauses": ["1"], "evidence": ["1", "2"]}
    data.update(over)
    return data


# --- the queue ---------------------------------------------------------------------------------

def test_the_queue_puts_the_case_closest_to_breach_first(client):
    first = inquiry()                      # due in 10 minutes from now
    clock.advance(dt.timedelta(minutes=2))
    second = inquiry()                     # due 12 minutes from the start
    clock.advance(dt.timedelta(minutes=2))
    urgent = inquiry(priority="high")      # halved: 5 minutes, due 9 minutes from the start
    response = login(client, staff("support")).get(QUEUE)
    assert response.status_code == 200
    assert queue_order(response) == [urgent.case_no, first.case_no, second.case_no]
    body = response.content.decode()
    assert "剩余 5分" in body and "data-sla-due=" in body


def test_a_breached_case_shows_negative_time_in_red_on_top(client):
    old = inquiry()
    later(minutes=11)  # 10-minute first response missed: the sweeper records the breach
    fresh = inquiry()
    response = login(client, staff("support")).get(QUEUE)
    assert queue_order(response) == [old.case_no, fresh.case_no]
    row = response.content.decode().split(f'data-case="{old.case_no}"')[1].split("</tr>")[0]
    assert "已超时 1分" in row and "badge countdown bad" in row and "有超时记录" in row


def test_filters_kind_priority_status(client):
    plain, urgent, key = inquiry(), inquiry(priority="high"), dispute()
    c = login(client, staff("support"))
    assert queue_order(c.get(QUEUE, {"kind": "key_problem"})) == [key.case_no]
    assert queue_order(c.get(QUEUE, {"priority": "high"})) == [urgent.case_no]
    assert set(queue_order(c.get(QUEUE, {"status": "platform_review", "kind": "inquiry"}))) == {plain.case_no, urgent.case_no}
    assert queue_order(c.get(QUEUE, {"status": "appealed"})) == []


def test_filters_mine_assignee_and_breached(client):
    mine, theirs, breached = inquiry(), inquiry(), inquiry()
    me, colleague = staff("support"), staff("arbitrator")
    review.case_assign(case=mine, staff=me, assignee=me)
    review.case_assign(case=theirs, staff=me, assignee=colleague)
    thread.message_post(order=mine.order, party=Party.STAFF, author=me, body="您好，平台已收到")
    thread.message_post(order=theirs.order, party=Party.STAFF, author=colleague, body="您好，平台已收到")
    later(minutes=11)
    c = login(client, me)
    assert queue_order(c.get(QUEUE, {"mine": "on"})) == [mine.case_no]
    assert queue_order(c.get(QUEUE, {"assignee": colleague.pk})) == [theirs.case_no]
    assert queue_order(c.get(QUEUE, {"breached": "on"})) == [breached.case_no]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_queries_for_5_and_50_cases(client, django_assert_max_num_queries):
    c = login(client, staff("support"))
    for _ in range(5):
        inquiry()
    with django_assert_max_num_queries(8):
        five = c.get(QUEUE)
    few = _queries(c)
    for n in range(45):
        case = inquiry()
        if n % 3 == 0:
            review.case_assign(case=case, staff=staff("support"), assignee=staff("arbitrator"))
    with django_assert_max_num_queries(8):
        fifty = c.get(QUEUE)
    assert len(queue_order(five)) == 5 and len(queue_order(fifty)) == 50
    assert _queries(c) == few


def test_the_queue_pages_keep_the_filters(client):
    for _ in range(3):
        inquiry()
    from kadun.cases import views_staff

    views_staff.QUEUE_SIZE, size = 2, views_staff.QUEUE_SIZE
    try:
        c = login(client, staff("support"))
        page1 = c.get(QUEUE, {"kind": "inquiry"})
        assert len(queue_order(page1)) == 2 and "page=2" in page1.content.decode() and "kind=inquiry" in page1.content.decode()
        assert len(queue_order(c.get(QUEUE, {"kind": "inquiry", "page": 2}))) == 1
    finally:
        views_staff.QUEUE_SIZE = size


# --- who gets in ---------------------------------------------------------------------------------

def test_buyer_merchant_and_anonymous_get_404_on_every_staff_url(client):
    case = dispute()
    refund_no = _refund_request_with_image().request_no
    urls = [QUEUE, reverse("cases:staff_sla"), case_url(case), reverse("cases:staff_refund_requests"),
            reverse("cases:staff_refund_request", args=[refund_no])]
    for who in (None, case.order.buyer, case.order.shop.owner, make_user()):
        client.logout()
        if who is not None:
            login(client, who)
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(case_url(case, act=True), {"action": "note", "note-body": "我来看看"}).status_code == 404
    assert not CaseMessage.objects.filter(internal=True).exists()


def test_risk_staff_may_view_a_case_but_not_act(client):
    case = dispute()
    c = login(client, staff("risk"))
    page = c.get(case_url(case))
    assert page.status_code == 200 and case.case_no in page.content.decode()
    assert 'id="form-message"' not in page.content.decode() and 'id="view-only"' in page.content.decode()
    for data in ({"action": "message", "body": "平台来处理"}, {"action": "note", "note-body": "内部看看"},
                 {"action": "assign", "assignee": staff("support").pk}, decide_post()):
        response = c.post(case_url(case, act=True), data)
        assert response.status_code == 403
        assert "您无权进行此操作" in response.content.decode()
    assert not CaseMessage.objects.filter(party=Party.STAFF).exists()
    assert Case.objects.get(pk=case.pk).assignee_id is None and not CaseDecision.objects.exists()


# --- the case page -------------------------------------------------------------------------------

def test_the_case_page_shows_order_facts_rules_keys_payment_and_no_plaintext(client):
    from kadun.inventory.crypto import decrypt
    from kadun.inventory.models import CardKey

    case = dispute(price=1234)
    order = case.order
    body = login(client, staff("support")).get(case_url(case)).content.decode()
    assert order.order_no in body and "12.34" in body and order.policy_hash in body
    for clause in order.policy_snapshot["clauses"]:
        assert clause["text"] in body
    assert order.payment.out_trade_no in body
    secret = decrypt(CardKey.objects.get(order=order).secret)
    assert secret not in body and "••••••••" in body
    assert 'id="burden"' in body and "从未被查看" in body and "举证责任在商家" in body
    assert "首次响应" in body and "给出处理方案" in body


def test_internal_notes_are_marked_here_and_never_reach_buyer_or_merchant(client):
    case = dispute()
    c = login(client, staff("support"))
    response = c.post(case_url(case, act=True), {"action": "note", "note-body": "疑似同一买家多次以此理由退款"})
    assert response.status_code == 303 and response.url.endswith("#thread")
    body = c.get(case_url(case)).content.decode()
    assert "疑似同一买家多次以此理由退款" in body and "内部备注" in body
    for role in (selectors.BUYER, selectors.MERCHANT):
        assert "疑似同一买家" not in " ".join(m.body for m in selectors.thread(case.order, role=role))
    audit = body.split('id="audit"')[1]
    assert "内部备注" in audit


def test_support_assigns_messages_and_asks_for_evidence_each_on_the_audit_list(client):
    case = dispute()
    me = staff("support")
    c = login(client, me)
    assert c.post(case_url(case, act=True), {"action": "assign", "assignee": me.pk}).status_code == 303
    assert c.post(case_url(case, act=True), {"action": "message", "body": "平台已介入，请双方稍候"}).status_code == 303
    response = c.post(case_url(case, act=True), {"action": "evidence", "party": "merchant", "text": "请提供该卡密的进货凭证", "hours": "12"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.assignee_id == me.pk and case.awaiting == Party.MERCHANT and case.staff_first_response_at is not None
    audit = c.get(case_url(case)).content.decode().split('id="audit"')[1].split("</table>")[0]
    assert audit.index("指派") < audit.index("平台消息") < audit.index("调取证据")
    assert audit.count(f'data-label="人员">{me.username}<') == 3


def test_an_invalid_action_shows_the_chinese_error_beside_its_form_and_changes_nothing(client):
    case = dispute()
    c = login(client, staff("support"))
    response = c.post(case_url(case, act=True), {"action": "evidence", "party": "buyer", "text": "截图", "hours": "12"})
    assert response.status_code == 400
    form = response.content.decode().split('id="form-evidence"')[1].split("</form>")[0]
    assert "请说明需要提交的证据（至少5个字）" in form
    assert not case.evidence_requests.exists()


def test_support_sees_no_decide_form_and_a_decide_post_is_refused_with_nothing_changed(client):
    case = dispute(price=1500)
    entries = JournalEntry.objects.count()
    c = login(client, staff("support"))
    page = c.get(case_url(case)).content.decode()
    assert 'id="decide"' not in page and 'id="no-decide"' in page
    response = c.post(case_url(case, act=True), decide_post())
    assert response.status_code == 403
    assert "只有仲裁员可以作出裁决" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.PLATFORM_REVIEW
    assert not CaseDecision.objects.exists()
    assert Order.objects.get(pk=case.order_id).refunded_amount == 0 and JournalEntry.objects.count() == entries


def test_an_arbitrator_decides_through_the_page_citing_clauses_and_evidence(client):
    case = dispute(price=1500)
    arbitrator = staff("arbitrator")
    c = login(client, arbitrator)
    page = c.get(case_url(case)).content.decode()
    assert 'id="decide"' in page and 'name="clauses"' in page and 'value="2"' in page.split('id="decide"')[1]
    response = c.post(case_url(case, act=True), decide_post())
    assert response.status_code == 303 and response.url.endswith("#decide")
    case.refresh_from_db()
    decision = CaseDecision.objects.get(case=case)
    assert case.status == S.DECIDED and case.arbitrator_id == arbitrator.pk
    assert (decision.remedy, decision.fault, decision.clauses, decision.evidence) == ("full_refund", "merchant", [1], [1, 2])
    assert CaseEvent.objects.filter(case=case, kind="decided", actor=arbitrator).count() == 1
    assert Order.objects.get(pk=case.order_id).refunded_amount == 0  # effective when the appeal window closes


def test_a_partial_refund_is_typed_in_yuan_and_decided_in_fen(client):
    case = dispute(price=1500)
    c = login(client, staff("arbitrator"))
    missing = c.post(case_url(case, act=True), decide_post(remedy="partial_refund"))
    assert missing.status_code == 400 and "部分退款须填写金额" in missing.content.decode()
    assert c.post(case_url(case, act=True), decide_post(remedy="partial_refund", amount="6.5")).status_code == 303
    assert CaseDecision.objects.get(case=case).amount == 650


def test_the_first_arbitrator_is_refused_the_appeal_on_the_page_and_another_decides_it(client):
    case = dispute(price=900)
    first = staff("arbitrator")
    c = login(client, first)
    assert c.post(case_url(case, act=True), decide_post()).status_code == 303
    review.case_appeal(case=Case.objects.get(pk=case.pk), party=Party.MERCHANT, statement="买家查看后才反馈，卡密出库时有效",
                       author=case.order.shop.owner)
    page = c.get(case_url(case)).content.decode()
    assert 'id="decide"' not in page and "申诉须由另一位仲裁员复核" in page
    refused = c.post(case_url(case, act=True), decide_post(action="appeal_decide", remedy="rejected", fault="buyer"))
    assert refused.status_code == 403 and "申诉须由另一位仲裁员复核" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.APPEALED and CaseDecision.objects.filter(case=case).count() == 1
    other = login(client, staff("arbitrator"))
    assert 'id="decide"' in other.get(case_url(case)).content.decode()
    assert other.post(case_url(case, act=True), decide_post(action="appeal_decide", remedy="partial_refund", amount="4.5")).status_code == 303
    case.refresh_from_db()
    assert (case.status, case.amount_refunded) == (S.CLOSED, 450)


def test_support_resolves_an_inquiry_through_the_page(client):
    case = inquiry()
    c = login(client, staff("support"))
    assert 'id="form-resolve"' in c.get(case_url(case)).content.decode()
    assert c.post(case_url(case, act=True), {"action": "resolve", "note": "已告知兑换步骤：官网-我的-兑换码"}).status_code == 303
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, "resolved")


# --- refund requests ---------------------------------------------------------------------------

def _refund_request_with_image():
    from kadun.aftersales.services import refund_request_create
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal

    order = delivered_order(price=2000)
    key = CardKey.objects.filter(order=order).first()
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer, ip="127.0.0.1")
    return refund_request_create(order=order, reason="not_as_described", statement="面值不对", key_ids=[key.pk],
                                 images=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")])


def test_staff_list_refund_requests_and_open_their_evidence(client):
    request = _refund_request_with_image()
    c = login(client, staff("support"))
    listing = c.get(reverse("cases:staff_refund_requests"), {"status": "awaiting_merchant"}).content.decode()
    assert request.request_no in listing and request.shop.name in listing and "20.00" in listing
    assert request.request_no not in c.get(reverse("cases:staff_refund_requests"), {"status": "rejected"}).content.decode()
    detail = c.get(reverse("cases:staff_refund_request", args=[request.request_no])).content.decode()
    evidence = request.evidence.get()
    image_url = reverse("aftersales:evidence_file", args=[request.request_no, evidence.pk])
    assert image_url in detail and "面值不对" in detail
    image = c.get(image_url)
    assert image.status_code == 200 and b"".join(image.streaming_content) == PNG


def test_the_queue_and_the_case_page_in_english(client):
    case = dispute()
    c = login(client, staff("arbitrator"))
    assert c.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    queue = c.get(QUEUE).content.decode()
    assert "Case queue" in queue and "Time to breach" in queue and "Key problem" in queue and "left" in queue
    assert "售后工单队列" not in queue and "距超时" not in queue
    page = c.get(case_url(case)).content.decode()
    assert "Burden of proof on" in page and "was never revealed" in page and "Frozen clauses cited" in page
    assert "举证责任在" not in page
