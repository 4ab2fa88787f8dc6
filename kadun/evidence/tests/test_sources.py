"""Every fact that can decide a refund writes exactly one evidence entry, in the fact's own
transaction: the right kind, subject, actor and body — and nothing when the fact rolls back.
(After each test here, the conftest runs `kadun evidence-check`, which must be clean.)"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.evidence import canonical, privacy
from kadun.evidence.models import Entry
from kadun.inventory.models import CardKey, Reveal
from kadun.inventory.services import key_reveal
from kadun.orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def entries(**filters):
    return list(Entry.objects.filter(**filters).order_by("id"))


def one(**filters) -> Entry:
    found = entries(**filters)
    assert len(found) == 1, [(e.kind, e.source, e.source_id) for e in found]
    return found[0]


def body(entry) -> dict:
    assert canonical.sha256_hex(entry.body.encode()) == entry.content_hash
    return json.loads(entry.body)


def test_a_guest_purchase_logs_the_order_rules_confirmation_notification_delivery_and_event():
    product = make_product(keys=2, price=1500)
    order, _token, _url = buy(product)

    placed = one(kind="order.placed")
    assert (placed.subject_type, placed.subject_id, placed.actor_role, placed.actor_id) == ("order", order.pk, "guest", None)
    fields = body(placed)
    assert fields["amount"] == 1500 and fields["unit_price"] == 1500 and fields["quantity"] == 1
    assert fields["policy_hash"] == fields["policy_sha256"] == order.policy_hash
    assert fields["contact"] == privacy.contact("guest@example.com") and "guest@example.com" not in placed.body
    confirmation = one(kind="order.confirmation", subject_id=order.pk)
    assert body(confirmation)["text_sha256"] == hashlib.sha256(order.checkout_confirmations.get().text.encode()).hexdigest()
    assert one(kind="order.created", subject_id=order.pk).source_id == OrderEvent.objects.get(order=order, kind="created").pk

    pay(order)

    notified = one(kind="payment.notified", subject_id=order.pk)
    assert notified.actor_role == "gateway"
    params = body(notified)["params"]
    assert params["sign"] == "[redacted]" and params["amount"] == "1500" and body(notified)["outcome"] == "succeeded"
    key = CardKey.objects.get(order=order)
    delivered = one(kind="key.delivered")
    assert body(delivered) == {"order": order.pk, "key": key.pk, "product": product.pk, "fingerprint": key.fingerprint,
                               "sold_at": key.sold_at.isoformat()}
    assert "SECRET" not in delivered.body
    assert one(kind="order.paid_delivered", subject_id=order.pk).actor_role == "gateway"


def test_a_reveal_logs_time_actor_and_the_ip_only_as_a_keyed_hash():
    buyer = make_user()
    order = pay(buy(make_product(keys=1), buyer=buyer)[0])
    key = CardKey.objects.get(order=order)

    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="203.0.113.9", user_agent="Mozilla/5.0 test")

    reveal = Reveal.objects.get()
    entry = one(kind="key.revealed")
    assert (entry.subject_id, entry.actor_role, entry.actor_id, entry.source_id) == (order.pk, "buyer", buyer.pk, reveal.pk)
    assert body(entry)["at"] == reveal.at.isoformat() and body(entry)["key"] == key.pk
    assert body(entry)["ip"] == privacy.ip("203.0.113.9") and "203.0.113.9" not in entry.body
    assert "Mozilla" not in entry.body and body(entry)["user_agent"] == privacy.user_agent("Mozilla/5.0 test")


def test_a_reveal_refused_for_a_withdrawn_key_logs_nothing():
    from kadun.core.errors import DomainError
    from kadun.inventory.services import keys_withdraw

    order = pay(buy(make_product(keys=1))[0])
    key = CardKey.objects.get(order=order)
    with transaction.atomic():
        keys_withdraw(order=order, key_ids=[key.pk], reason="refunded")
    before = Entry.objects.count()

    with pytest.raises(DomainError):
        key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9")

    assert Entry.objects.count() == before and not Reveal.objects.exists()


def test_a_checkout_rolled_back_leaves_no_entry():
    product = make_product(keys=1)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        buy(product)
        assert Entry.objects.filter(kind="order.placed").count() == 1
        raise Boom

    assert not Order.objects.exists() and not Entry.objects.exists()


def test_an_instant_refund_logs_the_request_the_decision_the_refund_and_the_order_event():
    from kadun.aftersales.services import refund_request_create

    buyer = make_user()
    order = pay(buy(make_product(keys=1, price=800), buyer=buyer)[0])
    key = CardKey.objects.get(order=order)

    request = refund_request_create(order=order, reason="unrevealed", statement="买错了", key_ids=[key.pk])

    requested = one(kind="refund.request")
    assert requested.subject_id == order.pk and body(requested)["amount_requested"] == 800
    assert body(requested)["statement_sha256"] == hashlib.sha256("买错了".encode()).hexdigest()
    assert body(requested)["request_no"] == request.request_no and body(requested)["key_ids"] == [key.pk]
    assert [e.kind for e in entries(source="aftersales.event")] == ["refund.requested", "refund.approve"]
    issued = one(kind="refund.issued")
    assert body(issued)["amount"] == 800 and issued.subject_id == order.pk
    assert one(kind="order.refunded", subject_id=order.pk).body


def test_a_merchant_rejection_with_an_image_logs_the_answer_and_the_image_by_its_hash(media):
    from kadun.aftersales.services import refund_request_create, refund_request_respond

    shop = make_shop()
    order = pay(buy(make_product(shop, keys=1), buyer=make_user())[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=order.buyer, ip="198.51.100.1")
    request = refund_request_create(order=order, reason="not_as_described", statement="与描述不符", key_ids=[key.pk], images=[png()])

    refund_request_respond(request=request, shop=shop, action="reject", note="与描述一致，见截图", images=[png("m.png")])

    rejected = one(kind="refund.rejected")
    assert rejected.actor_role == "merchant" and body(rejected)["note_sha256"] == hashlib.sha256("与描述一致，见截图".encode()).hexdigest()
    images = entries(kind="refund.evidence")
    assert [body(e)["party"] for e in images] == ["buyer", "merchant"]
    assert {body(e)["sha256"] for e in images} == {hashlib.sha256(PNG).hexdigest()}


def test_a_case_logs_opening_message_attachment_decision_and_events(media):
    from kadun.cases import review, services, thread
    from kadun.cases.models import Case, CaseDecision, CaseMessage

    order = pay(buy(make_product(keys=1, price=1000), buyer=make_user())[0])
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund", author=order.buyer)
    message = thread.message_post(order=order, party="buyer", author=order.buyer, body="补充截图", images=[png()])
    clock.advance(dt.timedelta(hours=48, seconds=1))
    deadlines_sweep_all()  # the merchant stayed silent: the case goes to the platform
    arbitrator = make_user(staff_role="arbitrator")
    decision = review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=arbitrator, remedy="full_refund", fault="merchant",
                                  reasons="商家未回应，按规则全额退款", clauses=[3])

    opened = one(kind="case.claim")
    assert (opened.subject_type, opened.subject_id) == ("case", case.pk) and body(opened)["amount_claimed"] == 1000
    logged = one(source="cases.message", source_id=message.pk)
    assert body(logged)["text_sha256"] == hashlib.sha256("补充截图".encode()).hexdigest() and "补充截图" not in logged.body
    assert logged.actor_id == order.buyer_id
    assert body(one(kind="case.attachment"))["sha256"] == hashlib.sha256(PNG).hexdigest()
    decided = one(kind="case.decision")
    assert (decided.actor_role, decided.actor_id, decided.source_id) == ("staff", arbitrator.pk, decision.pk)
    assert body(decided)["amount"] == CaseDecision.objects.get().amount
    kinds = [e.kind for e in entries(source="cases.event")]
    assert kinds[0] == "case.opened" and "case.merchant_silent" in kinds and "case.decided" in kinds
    assert CaseMessage.objects.filter(case=case).count() == len(entries(source="cases.message", subject_type="case"))
    assert one(kind="deadline.fired", source_id__isnull=False, body__contains='"deadline_kind":"case_merchant_silent"')


# --- the sweeper's batch paths: one entry per fact, in one INSERT per batch ---------------------


def _delivered_orders(n: int):
    shop = make_shop()
    product = make_product(shop, keys=n, price=500)
    return [pay(buy(product)[0]) for _ in range(n)]


def test_a_batch_of_auto_confirmations_and_settlements_logs_one_entry_per_order_and_firing():
    orders = _delivered_orders(12)
    ids = sorted(o.pk for o in orders)

    clock.advance(dt.timedelta(hours=25))
    deadlines_sweep_all()

    confirmed = entries(kind="order.confirmed")
    assert sorted(e.subject_id for e in confirmed) == ids and all(e.actor_role == "system" for e in confirmed)
    autoconfirm = [e for e in entries(kind="deadline.fired") if body(e)["deadline_kind"] == "order_autoconfirm"]
    assert len(autoconfirm) == 12 and {body(e)["subject"] for e in autoconfirm} == set(ids)
    assert len({e.created_at for e in confirmed}) == 1  # one batch, one statement

    clock.advance(dt.timedelta(days=8))
    deadlines_sweep_all()

    assert sorted(e.subject_id for e in entries(kind="order.settled")) == ids
    assert len([e for e in entries(kind="deadline.fired") if body(e)["deadline_kind"] == "order_settle"]) == 12


def test_a_batch_of_expiries_logs_one_entry_per_expired_order():
    product = make_product(keys=20)
    unpaid = [buy(product)[0] for _ in range(15)]

    clock.advance(dt.timedelta(hours=1))
    deadlines_sweep_all()

    assert sorted(e.subject_id for e in entries(kind="order.expired")) == sorted(o.pk for o in unpaid)
    # (Each unpaid payment's watch checks fire too, logged as their own kind.)
    fired = [body(e) for e in entries(kind="deadline.fired") if body(e)["deadline_kind"] == "order_expire"]
    assert len(fired) == 15 and {f["outcome"] for f in fired} == {"done"}
