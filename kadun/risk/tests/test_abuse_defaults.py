"""The flag's one effect on default outcomes, as the rules page says: a silent merchant's
deadline on a flagged buyer's request sends it to the platform (a case in platform review, no
refund, breach still recorded); an unflagged buyer is refunded as before. Both log the flag
state they read. Contests: accepted clears the facts then on the record, rejected keeps them."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from conftest import make_user
from kadun.aftersales.models import RefundRequest
from kadun.cases.models import Case
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.evidence.models import Entry
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.merchants.models import Breach
from kadun.risk import abuse
from kadun.risk.models import AbuseFlagUse
from kadun.risk.selectors_abuse import record_of, record_of_order
from kadun.risk.states import AbuseFactKind as K
from kadun.risk.tests.abuse_helpers import claim_after_reveal, facts, paid

pytestmark = pytest.mark.django_db


def _silent():
    clock.advance(dt.timedelta(hours=25))
    deadlines_sweep_all()


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_silent_merchant_on_a_flagged_buyer_goes_to_platform_review_not_refund():
    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 3)
    request = claim_after_reveal(order)
    _silent()
    request.refresh_from_db()
    assert request.status == "platform_review" and request.amount_refunded == 0
    case = Case.objects.get(refund_request=request)
    assert case.status == "platform_review"
    assert balance_of(codes.escrow(order.pk)) == 1000  # nothing paid out by default
    assert Breach.objects.filter(shop_id=order.shop_id, kind="refund_no_response").count() == 1
    use = AbuseFlagUse.objects.get(order_id=order.pk)
    assert (use.flagged, use.effect) == (True, "platform_review")
    assert Entry.objects.filter(source="risk.abuse_flag_use", source_id=use.pk).exists()


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_silent_merchant_on_an_unflagged_buyer_refunds_as_before():
    order = paid(buyer=make_user())
    facts(order, K.UNREPORTED, 1)  # with the claim itself: 2 < 3
    request = claim_after_reveal(order)
    _silent()
    request.refresh_from_db()
    assert request.status == "approved_by_default" and request.amount_refunded == 1000
    assert not Case.objects.filter(order=order).exists()
    use = AbuseFlagUse.objects.get(order_id=order.pk)
    assert (use.flagged, use.effect) == (False, "refunded")


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_contest_accepted_clears_the_flag_with_an_audit():
    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 3)
    assert record_of(f"user:{buyer.pk}").flagged
    contest = abuse.abuse_contest_open(user=buyer, reason="这些卡密确实无法使用，我有充值失败的截图")
    answered = abuse.abuse_contest_answer(contest_id=contest.pk, actor=make_user(staff_role="risk"), accept=True, note="商品批次确有问题，撤销")
    assert answered.status == "accepted" and answered.answered_by_id and answered.note
    assert record_of_order(order).flagged is False
    assert Entry.objects.filter(source="risk.abuse_contest", source_id=contest.pk).count() == 2


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_contest_rejected_keeps_the_flag():
    buyer = make_user()
    order = paid(buyer=buyer)
    facts(order, K.UNREPORTED, 3)
    contest = abuse.abuse_contest_open(user=buyer, reason="我认为记录有误，请平台复核")
    abuse.abuse_contest_answer(contest_id=contest.pk, actor=make_user(staff_role="risk"), accept=False, note="验货记录显示卡密有效")
    assert record_of_order(order).flagged is True
    with pytest.raises(abuse.ContestAnswered):
        abuse.abuse_contest_answer(contest_id=contest.pk, actor=make_user(staff_role="risk"), accept=True, note="再次处理试试")


def test_only_risk_staff_answer_and_one_open_contest_at_a_time():
    buyer = make_user()
    contest = abuse.abuse_contest_open(user=buyer, reason="我认为记录有误，请平台复核")
    with pytest.raises(abuse.ContestOpen):
        abuse.abuse_contest_open(user=buyer, reason="再提交一次申诉理由，请复核")
    with pytest.raises(abuse.NotRiskStaff):
        abuse.abuse_contest_answer(contest_id=contest.pk, actor=make_user(staff_role="support"), accept=True, note="支持人员处理")
    assert RefundRequest.objects.count() == 0
