"""The complaint board's services: who may publish and when, the verified fields and their
freezing (service, model, database), moderation only for the published reasons, the merchant's
one reply, the withdrawal — each with its evidence entry."""
from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from conftest import make_user
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.evidence import complaints
from kadun.evidence import selectors_complaints as reads
from kadun.evidence.complaints_errors import (
    ComplaintExists, ComplaintState, InvalidModeration, ModerationNotAllowed, NotEligible, NotTheBuyer, NotTheMerchant, ReplyExists,
)
from kadun.evidence.models import Entry
from kadun.evidence.models_complaints import Complaint, ComplaintAction
from kadun.evidence.tests.complaint_helpers import STATEMENT, decided_order, fresh, publish, published, silent_merchant_order
from kadun.merchants.services import breach_record

pytestmark = pytest.mark.django_db


def _entries(complaint, kind=None):
    qs = Entry.objects.filter(subject_type="complaint", subject_id=complaint.pk)
    return list(qs.filter(kind=kind) if kind else qs)


# Eligibility ---------------------------------------------------------------------------------


def test_an_order_without_a_decision_or_breach_is_refused_with_a_clear_code():
    order = delivered_order(buyer=make_user())
    with pytest.raises(NotEligible) as refused:
        publish(order)
    assert refused.value.code == "complaint_not_eligible" and refused.value.status == 409
    assert Complaint.objects.count() == 0


def test_after_a_decision_the_buyer_publishes_and_it_waits_for_moderation():
    order = decided_order()
    complaint = publish(order)
    assert complaint.status == "pending" and complaint.basis == "decision"
    assert reads.board().count() == 0  # not on the board before staff approve it


def test_a_merchant_breach_on_the_order_makes_it_eligible():
    order = delivered_order(buyer=make_user())
    breach_record(shop_id=order.shop_id, kind="refund_no_response", order_id=order.pk, note="逾期未处理")
    complaint = publish(order)
    assert complaint.basis == "merchant_breach" and complaint.facts["decision"]["fault"] == "merchant"
    assert any(rule["text"].startswith("需商家处理的退款申请") for rule in complaint.facts["rules"])


def test_a_merchant_silent_past_the_deadline_makes_it_eligible():
    complaint = publish(silent_merchant_order())
    assert "merchant_silent" in complaint.facts["bases"]
    assert [i["kind"] for i in complaint.facts["timeline"]][:2] == ["case_opened", "merchant_silent"]


def test_a_platform_sla_breach_makes_it_eligible():
    order = silent_merchant_order()
    later(hours=1)  # the platform's 30-minute first response passes unmet
    complaint = publish(order)
    assert "platform_breach" in complaint.facts["bases"]
    assert "platform_sla_breach" in [i["kind"] for i in complaint.facts["timeline"]]


def test_only_the_buyer_may_publish():
    order = decided_order()
    with pytest.raises(NotTheBuyer):
        complaints.complaint_publish(order=fresh(order), role="merchant", author=order.shop.owner, statement=STATEMENT)


def test_one_complaint_per_order():
    order = decided_order()
    publish(order)
    with pytest.raises(ComplaintExists):
        publish(order, "再发一次同样的内容，换个说法试试")
    assert Complaint.objects.filter(order_id=order.pk).count() == 1


def test_one_per_order_holds_in_the_database_too():
    order = decided_order()
    first = publish(order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.create(**{f.attname: getattr(first, f.attname) for f in Complaint._meta.concrete_fields if f.name != "id"}
                                 | {"complaint_no": "TS-other"})


def test_a_withdrawn_complaint_cannot_be_published_again():
    order = decided_order()
    complaints.complaint_withdraw(complaint=publish(order), role="buyer", author=order.buyer)
    with pytest.raises(ComplaintExists):
        publish(order)


# Verified fields -----------------------------------------------------------------------------


def test_verified_fields_are_built_from_the_records_and_hashed():
    order = decided_order(price=12345)
    complaint = publish(order)
    f = complaint.facts
    assert (f["category"], f["delivery"], f["amount_band"]) == ("game_card", "auto", "50-200")
    assert f["dates"]["ordered"] and f["dates"]["reported"] and f["dates"]["decided"]
    assert [r["no"] for r in f["rules"]] == [2]  # the clause the decision cited, with its frozen text
    assert f["rules"][0]["text"] == order.policy_snapshot["clauses"][1]["text"]
    assert f["decision"] == {"outcome": "pending", "fault": "none", "refunded": "none", "refunded_band": "", "remedy": "rejected"}
    assert [i["kind"] for i in f["timeline"]] == ["case_opened", "escalated", "decided"]
    assert complaint.facts_hash == complaints.facts.facts_hash(f)
    assert complaint.statement == STATEMENT and "order_no" not in json.dumps(f) and order.order_no not in json.dumps(f)


def test_each_field_cites_the_entries_it_was_built_from():
    order = decided_order()
    from kadun.evidence.services import record_fact
    from kadun.evidence.registry import Fact

    with transaction.atomic():
        paid = record_fact(Fact(kind="order.paid", subject_type="order", subject_id=order.pk, actor_role="gateway", actor_id=None))
        decided = record_fact(Fact(kind="case.decided", subject_type="case", subject_id=order.cases.get().pk, actor_role="staff", actor_id=None))
        other = record_fact(Fact(kind="order.paid", subject_type="order", subject_id=order.pk + 999, actor_role="gateway", actor_id=None))
    cites = publish(order).facts["cites"]
    mine = Entry.objects.filter(subject_type="order", subject_id=order.pk)
    # the one entry whose body holds the product and the amount: the order as placed, logged by
    # checkout itself with its frozen rules
    placed = mine.get(kind="order.placed")
    assert cites["amount_band"] == cites["category"] == [placed.pk]
    # … and none of the status events (created, paid, paid-and-delivered, the order.paid recorded
    # here), the confirmation, the payment notice or the key delivered
    left_out = set(mine.exclude(kind="order.placed").values_list("pk", flat=True))
    assert left_out and not left_out & set(cites["amount_band"])
    assert decided.pk in cites["decision"] and paid.pk not in cites["decision"]
    assert other.pk not in sum(cites.values(), [])
    ours = set(mine.values_list("pk", flat=True))
    ours |= set(Entry.objects.filter(subject_type="case", subject_id__in=order.cases.values("pk")).values_list("pk", flat=True))
    assert set(sum(cites.values(), [])) <= ours  # only this order's and its cases' entries


def test_publishing_writes_its_evidence_entry_in_the_same_transaction():
    complaint = publish(decided_order())
    [entry] = _entries(complaint)
    body = json.loads(entry.body)
    assert entry.kind == "complaint.published" and entry.source == "evidence.complaint" and entry.source_id == complaint.pk
    assert body["facts"] == complaint.facts and body["facts_hash"] == complaint.facts_hash
    assert STATEMENT not in entry.body  # the statement only by its hash


def test_the_model_refuses_to_save_an_existing_complaint():
    complaint = publish(decided_order())
    complaint.amount_band = "1000+"
    with pytest.raises(RuntimeError):
        complaint.save()
    assert Complaint.objects.get(pk=complaint.pk).amount_band == "0-50"


@pytest.mark.parametrize("column,value", [("amount_band", "1000+"), ("outcome", "refunded"), ("statement", "改过的文字改过的文字"),
                                          ("facts", {"v": 1}), ("category", "other")])
def test_the_database_refuses_an_update_of_a_verified_field(column, value):
    complaint = publish(decided_order())
    with pytest.raises(DatabaseError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(**{column: value})
    assert getattr(Complaint.objects.get(pk=complaint.pk), column) == getattr(complaint, column)


def test_the_database_lets_moderation_columns_change():
    complaint = publish(decided_order())
    assert Complaint.objects.filter(pk=complaint.pk).update(status="rejected") == 1


def test_the_audit_trail_refuses_updates_in_the_database():
    order = decided_order()
    complaint = publish(order)
    complaints.complaint_withdraw(complaint=complaint, role="buyer", author=order.buyer)
    with pytest.raises(DatabaseError), transaction.atomic():
        ComplaintAction.objects.filter(complaint=complaint).update(note="rewritten")


# Moderation ----------------------------------------------------------------------------------


def test_approval_publishes_with_an_evidence_entry_and_tells_both_sides():
    order = decided_order()
    complaint = published(order)
    assert complaint.status == "published" and list(reads.board()) == [complaint]
    [entry] = _entries(complaint, "complaint.moderated")
    assert json.loads(entry.body)["action"] == "approved"
    from kadun.notifications.models import Message
    assert Message.objects.filter(user_id=order.shop.owner_id, title__contains=complaint.complaint_no).exists()


@pytest.mark.parametrize("reason", ["personal_data", "insult", "unrelated"])
def test_a_rejection_for_a_published_reason_with_a_note(reason):
    complaint = publish(decided_order())
    complaints.complaint_reject(complaint=complaint, staff=staff("risk"), reason=reason, note="第二句含有买家本人的手机号")
    assert Complaint.objects.get(pk=complaint.pk).status == "rejected"
    action = ComplaintAction.objects.get(complaint=complaint, kind="rejected")
    assert action.reason == reason and json.loads(_entries(complaint, "complaint.moderated")[0].body)["reason"] == reason


@pytest.mark.parametrize("reason", ["unfavourable", "negative", "", "other"])
def test_an_unfavourable_but_clean_complaint_cannot_be_rejected_for_that(reason):
    complaint = publish(decided_order(), "这家店的卡密是假的，客服态度极差，大家千万别买。")
    with pytest.raises(InvalidModeration) as refused:
        complaints.complaint_reject(complaint=complaint, staff=staff("support"), reason=reason, note="对商家不利，影响店铺形象")
    assert refused.value.code == "invalid_moderation"
    assert Complaint.objects.get(pk=complaint.pk).status == "pending" and not _entries(complaint, "complaint.moderated")


def test_a_rejection_needs_a_note():
    complaint = publish(decided_order())
    with pytest.raises(InvalidModeration) as refused:
        complaints.complaint_reject(complaint=complaint, staff=staff("support"), reason="insult", note=" ")
    assert refused.value.code == "moderation_note_required"


def test_only_support_or_risk_moderate_and_never_their_own_order():
    order = decided_order()
    complaint = publish(order)
    with pytest.raises(ModerationNotAllowed):
        complaints.complaint_approve(complaint=complaint, staff=staff("arbitrator"))
    with pytest.raises(ModerationNotAllowed):
        complaints.complaint_approve(complaint=complaint, staff=order.shop.owner)


def test_a_redaction_hides_personal_data_keeps_the_original_for_staff_and_shows_a_notice():
    text = "商家让我加微信 wx123456 私下退款，之后就拉黑了我。"
    order = decided_order()
    complaint = published(order, text)
    redacted = "商家让我加微信［已隐藏］私下退款，之后就拉黑了我。"
    complaints.complaint_redact(complaint=complaint, staff=staff("support"), reason="personal_data", note="含买家的微信号", text=redacted)
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.status, complaint.statement_shown, complaint.statement) == ("published", redacted, text)
    shown = complaints_display_present(complaint, "public")
    assert shown["statement"] == redacted and shown["redaction_notice"] == "部分内容因含个人信息已被隐藏"
    assert [a.original for a in reads.audit(complaint, role="staff") if a.kind == "redacted"] == [text]
    assert [a.original for a in reads.audit(complaint, role="buyer") if a.kind == "redacted"] == [""]
    assert "wx123456" not in "".join(e.body for e in _entries(complaint))


def complaints_display_present(complaint, role):
    from kadun.evidence.complaints_display import present

    return present(complaint, role=role)


@pytest.mark.parametrize("text", ["商家很好，是我自己操作失误［已隐藏］", "［已隐藏］", "商家让我加微信 wx123456 私下退款，之后就拉黑了我。"])
def test_a_redaction_may_only_hide_never_add_or_rewrite(text):
    complaint = publish(decided_order(), "商家让我加微信 wx123456 私下退款，之后就拉黑了我。")
    with pytest.raises(InvalidModeration) as refused:
        complaints.complaint_redact(complaint=complaint, staff=staff("support"), reason="personal_data", note="含买家的微信号", text=text)
    assert refused.value.code == "redaction_invalid"


def test_a_redaction_is_not_for_unrelated_content():
    complaint = publish(decided_order(), "商家让我加微信 wx123456 私下退款，之后就拉黑了我。")
    with pytest.raises(InvalidModeration) as refused:
        complaints.complaint_redact(complaint=complaint, staff=staff("support"), reason="unrelated", note="这一段与订单无关",
                                    text="商家让我加微信［已隐藏］私下退款，之后就拉黑了我。")
    assert refused.value.code == "invalid_moderation"


# The merchant's reply -------------------------------------------------------------------------


def test_the_merchant_replies_once_publicly():
    order = decided_order()
    complaint = published(order)
    reply = complaints.complaint_reply(complaint=complaint, shop=order.shop, author=order.shop.owner, body="我们已核实，卡密售出时有效。")
    assert reads.reply_of(complaint) == reply and _entries(complaint, "complaint.replied")
    with pytest.raises(ReplyExists):
        complaints.complaint_reply(complaint=complaint, shop=order.shop, author=order.shop.owner, body="再补充一句，欢迎联系客服处理。")


def test_another_shop_cannot_reply_and_nobody_replies_before_publication():
    order = decided_order()
    other = decided_order()
    complaint = publish(order)
    with pytest.raises(ComplaintState):
        complaints.complaint_reply(complaint=complaint, shop=order.shop, author=order.shop.owner, body="我们已核实，卡密售出时有效。")
    complaints.complaint_approve(complaint=complaint, staff=staff("support"))
    with pytest.raises(NotTheMerchant):
        complaints.complaint_reply(complaint=complaint, shop=other.shop, author=other.shop.owner, body="我们已核实，卡密售出时有效。")


def test_staff_redact_a_reply_the_same_way():
    order = decided_order()
    complaint = published(order)
    original = "我们核实了记录，买家张三电话13800000000，恶意差评，卡密售出时有效。"
    complaints.complaint_reply(complaint=complaint, shop=order.shop, author=order.shop.owner, body=original)
    reply = complaints.reply_redact(complaint=complaint, staff=staff("risk"), reason="personal_data", note="含买家姓名电话",
                                    text="我们核实了记录，买家［已隐藏］，恶意差评，卡密售出时有效。")
    assert reply.body_shown == "我们核实了记录，买家［已隐藏］，恶意差评，卡密售出时有效。"
    assert reads.reply_of(complaint).body == original


# Withdrawal ----------------------------------------------------------------------------------


def test_a_withdrawal_is_logged_and_leaves_only_a_notice():
    order = decided_order()
    complaint = published(order)
    complaints.complaint_withdraw(complaint=complaint, role="buyer", author=order.buyer)
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == "withdrawn" and complaint.withdrawn_at
    [entry] = _entries(complaint, "complaint.withdrawn")
    assert entry.actor_role == "buyer" and entry.actor_id == order.buyer_id
    shown = complaints_display_present(complaint, "public")
    assert shown["facts_shown"] is False and "fields" not in shown and "statement" not in shown
    assert list(reads.board()) == [complaint]  # the notice stays on the board…
    assert list(reads.board(category="game_card")) == []  # …but is not found by its facts


def test_only_the_buyer_withdraws_and_only_once():
    order = decided_order()
    complaint = publish(order)
    with pytest.raises(NotTheBuyer):
        complaints.complaint_withdraw(complaint=complaint, role="merchant", author=order.shop.owner)
    complaints.complaint_withdraw(complaint=complaint, role="buyer", author=order.buyer)
    with pytest.raises(ComplaintState):
        complaints.complaint_withdraw(complaint=complaint, role="buyer", author=order.buyer)


# Races (PostgreSQL) ---------------------------------------------------------------------------


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_two_publications_of_one_order_at_once_make_one_complaint():
    from conftest import together

    order = decided_order()
    results = together(lambda: publish(order), lambda: publish(order, "同一订单同时提交的第二条曝光内容"))
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "ComplaintExists"]
    assert Complaint.objects.filter(order_id=order.pk).count() == 1
    assert Entry.objects.filter(kind="complaint.published").count() == 1


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_two_replies_at_once_make_one():
    from conftest import together

    order = decided_order()
    complaint = published(order)
    reply = lambda: complaints.complaint_reply(complaint=complaint, shop=order.shop, author=order.shop.owner, body="我们已核实，卡密售出时有效。")  # noqa: E731
    results = together(reply, reply)
    assert sorted(type(r).__name__ for r in results) == ["ComplaintReply", "ReplyExists"]
    assert Entry.objects.filter(kind="complaint.replied").count() == 1
