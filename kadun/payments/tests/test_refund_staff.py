"""原路退款 in the staff console: a refund that needs attention is listed for staff; risk and
admin answer it with 重试 (sent to the gateway again) or 已线下退款 (a transfer reference, recorded
with the staff member); everyone else gets 404 and nothing changes."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_user
from kadun.evidence.models import Entry
from kadun.ledger.models import JournalEntry
from kadun.payments.models import Refund
from kadun.payments.states import RefundStatus as S
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.refund_helpers import buyer_page, issue, kinds, paid_order, refund_gateway_calls, staff, step

pytestmark = pytest.mark.django_db
PAGE = "backoffice:gateway_refunds"


@pytest.fixture
def stuck(alipay):  # noqa: F811
    """A refund Alipay refused for good (ACQ.TRADE_HAS_FINISHED): 需人工处理."""
    alipay.refund_refusals = ["ACQ.TRADE_HAS_FINISHED"]
    order, token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    assert refund.status == S.ATTENTION
    return refund, order, token


def act(client, refund, action, **data):
    return client.post(reverse("backoffice:gateway_refund_action", args=[refund.pk, action]), data, follow=True)


def frozen(refund) -> tuple:
    refund.refresh_from_db()
    return (refund.status, refund.attempts, refund.manual_reference, refund.events.count(), JournalEntry.objects.count())


def test_staff_see_the_refund_that_needs_attention(stuck):
    refund, _order, _token = stuck
    _user, client = staff("support")
    body = client.get(reverse(PAGE)).content.decode()
    assert refund.refund_no in body and "alipay:ACQ.TRADE_HAS_FINISHED" in body and "需人工处理" in body
    assert "已线下退款" not in body  # support sees the queue; deciding on money is risk's and admin's
    assert refund.refund_no not in client.get(reverse(PAGE) + "?status=succeeded").content.decode()


@pytest.mark.parametrize("who", ["anonymous", "buyer", "support"])
def test_others_cannot_act_and_nothing_changes(stuck, who):
    refund, _order, _token = stuck
    before = frozen(refund)
    if who == "support":
        _user, client = staff("support")
    else:
        client = Client()
        if who == "buyer":
            client.force_login(make_user(), backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(reverse(PAGE)).status_code == 404
    for action, data in (("retry", {}), ("manual", {"reference": "BANK-0001"})):
        assert client.post(reverse("backoffice:gateway_refund_action", args=[refund.pk, action]), data).status_code == 404
    assert frozen(refund) == before


def test_staff_retry_sends_it_again_and_it_succeeds(stuck, alipay):  # noqa: F811
    refund, order, token = stuck
    user, client = staff("admin")
    response = act(client, refund, "retry")
    assert "已重新提交给支付渠道" in response.content.decode()
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (S.PENDING, 0)
    event = refund.events.get(kind="requeued")
    assert (event.actor_id, event.from_status, event.to_status) == (user.pk, S.ATTENTION, S.PENDING)
    refund = step(refund)  # Alipay accepts it this time
    assert refund.status == S.SUCCEEDED and list(alipay.refunds) == [refund.refund_no]
    assert refund_gateway_calls(alipay) == 2
    assert kinds(refund) == ["attention", "requeued", "succeeded"]
    assert "已退款" in buyer_page(order, token)
    assert "该退款不在待人工处理状态" in act(client, refund, "retry").content.decode()  # a second click moves nothing


def test_staff_mark_it_refunded_by_hand_with_the_transfer_reference(stuck, alipay):  # noqa: F811
    refund, order, token = stuck
    user, client = staff("risk")
    before = frozen(refund)
    assert "请填写线下退款的转账流水号" in act(client, refund, "manual", reference="  ").content.decode()
    assert frozen(refund) == before
    entries = Entry.objects.count()
    act(client, refund, "manual", reference="  BANK 2026120100001 ")
    refund.refresh_from_db()
    assert (refund.status, refund.manual_reference, refund.resolved_by_id) == (S.SUCCEEDED, "BANK 2026120100001", user.pk)
    assert refund.completed_at and refund.provider_refund_no == ""
    event = refund.events.get(kind="manual_done")
    assert (event.actor_id, event.code) == (user.pk, "BANK 2026120100001")
    assert Entry.objects.count() == entries + 1  # the evidence log has it too (the reference hashed)
    assert JournalEntry.objects.count() == before[4]  # the money was booked when the refund was issued
    page = buyer_page(order, token)
    assert "已退款" in page and "BANK 2026120100001" not in page
    assert step(refund).status == S.SUCCEEDED and alipay.refunds == {}  # and nothing is sent to Alipay
    assert "该退款不在待人工处理状态" in act(client, refund, "manual", reference="BANK-2").content.decode()
    assert Refund.objects.get(pk=refund.pk).manual_reference == "BANK 2026120100001"
