"""Internal notes never reach the buyer or the merchant: not in the case, not in the thread, not
as an attachment, not in an in-site message (站内信) or an e-mail — while staff see them."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadun.cases.tests.apiclient import post, with_key, with_session
from kadun.cases.tests.helpers import delivered_order, later, staff
from tests.security import PNG

pytestmark = pytest.mark.django_db

NOTE = "内部备注：疑似职业退款人，勿告知买家-9Q2"


def _everything_they_can_read(client, order, case_no) -> str:
    answers = [client.get(f"/api/cases/{case_no}"), client.get(f"/api/cases/{case_no}/messages"),
               client.get(f"/api/orders/{order.order_no}/messages"), client.get(f"/api/orders/{order.order_no}/cases")]
    assert all(a.status_code == 200 for a in answers)
    return "".join(a.content.decode() for a in answers)


def _inbox_and_outbox() -> str:
    """Everything a notification carries: in-site messages, the delivery log, the outbox (e-mails,
    channel messages)."""
    from kadun.notifications.models import Message, NotifyDelivery, OutboxMessage

    texts = [f"{m.title}\n{m.body}\n{m.link}" for m in Message.objects.all()]
    texts += [d.title for d in NotifyDelivery.objects.all()]
    texts += [json.dumps(o.payload, ensure_ascii=False) for o in OutboxMessage.objects.all()]
    return "\n".join(texts)


def _reachable(order) -> None:
    """Both sides with an e-mail address and a channel, so every notification goes out three ways."""
    from kadun.accounts.models import User
    from kadun.notifications.services import channel_create

    for user in (order.buyer, order.shop.owner):
        User.objects.filter(pk=user.pk).update(email=f"u{user.pk}@example.com")
        channel_create(user=user, kind="bark", label="phone", data={"device_key": f"NotesDevice{user.pk}Key"})


@pytest.fixture
def noted():
    """A case with the platform, a staff note with a picture, then a public staff message."""
    order = delivered_order()
    _reachable(order)
    buyer, merchant = with_key(order.buyer), with_key(order.shop.owner)
    case_no = post(buyer, f"/api/orders/{order.order_no}/cases", {"kind": "key_problem", "statement": "卡密提示已被使用，无法充值"}).json()["case_no"]
    later(hours=48, seconds=1)
    support = with_session(staff("support"))
    note = support.post(f"/api/staff/cases/{case_no}/notes", {"body": NOTE, "images": [SimpleUploadedFile("n.png", PNG, content_type="image/png")]})
    assert note.status_code == 201 and note.json()["internal"] is True
    assert post(support, f"/api/staff/cases/{case_no}/messages", {"body": "平台已介入，请双方提供截图"}).status_code == 201
    assert post(support, f"/api/staff/cases/{case_no}/assign", {}).status_code == 200
    return order, buyer, merchant, support, case_no, note.json()


def test_the_buyer_and_the_merchant_read_no_note_in_the_case_or_the_thread(noted):
    order, buyer, merchant, _support, case_no, _note = noted
    for client in (buyer, merchant):
        everything = _everything_they_can_read(client, order, case_no)
        assert NOTE not in everything
        assert '"internal"' not in everything and '"staff_only"' not in everything
        assert "assigned" not in [e["kind"] for e in client.get(f"/api/cases/{case_no}").json()["events"]]


def test_the_note_takes_no_evidence_number(noted):
    _order, buyer, _merchant, support, case_no, note = noted
    shown = buyer.get(f"/api/cases/{case_no}/messages").json()
    assert [(m["no"], m["party"]) for m in shown] == [(1, "buyer"), (2, "staff")]
    assert note["no"] is None
    staff_view = support.get(f"/api/staff/cases/{case_no}").json()
    assert [n["body"] for n in staff_view["notes"]] == [NOTE]


def test_a_notes_picture_is_404_for_both_sides_and_served_to_staff(noted):
    _order, buyer, merchant, support, _case_no, note = noted
    url = note["attachments"][0]["url"]
    for client in (buyer, merchant):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "case_not_found"
    response = support.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


def test_no_in_site_message_or_email_carries_the_note(noted):
    order, _buyer, merchant, support, case_no, _note = noted
    # The case goes on (evidence asked, answered, decided, waived): every step tells someone.
    post(support, f"/api/staff/cases/{case_no}/evidence-requests", {"party": "merchant", "text": "请提供该卡密的进货凭证"})
    post(merchant, f"/api/orders/{order.order_no}/messages", {"body": "进货凭证稍后上传"})
    post(with_session(staff("arbitrator")), f"/api/staff/cases/{case_no}/decide",
         {"remedy": "full_refund", "fault": "merchant", "reasons": "卡密在首次查看前已被使用，验货记录为证", "clauses": [1]})
    post(merchant, f"/api/cases/{case_no}/waive-appeal")

    from kadun.notifications.models import NotifyDelivery

    sent = _inbox_and_outbox()
    assert "工单" in sent and {"email", "bark"} <= set(NotifyDelivery.objects.values_list("kind", flat=True))  # the parties were told
    assert NOTE not in sent


def test_a_note_stays_with_staff_after_the_case_closes():
    order = delivered_order(delivery="manual")
    _reachable(order)
    buyer, merchant = with_key(order.buyer), with_key(order.shop.owner)
    post(buyer, f"/api/orders/{order.order_no}/messages", {"body": "验证码是 123456"})
    case_no = post(buyer, f"/api/orders/{order.order_no}/cases", {"kind": "complaint", "statement": "商家一直不回复消息"}).json()["case_no"]
    assert post(with_session(staff("support")), f"/api/staff/cases/{case_no}/notes", {"body": NOTE}).status_code == 201
    post(with_key(order.buyer), f"/api/cases/{case_no}/withdraw")  # the case closes; the order chat goes on
    for client in (buyer, merchant):
        assert NOTE not in _everything_they_can_read(client, order, case_no)
    assert NOTE not in _inbox_and_outbox()
