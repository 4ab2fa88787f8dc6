"""处罚: 一次警告、二次封号 — warnings, bans, gravest kinds, thresholds, appeals."""
import datetime as dt

import pytest

from conftest import buy, make_product, make_shop, make_user
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.merchants import penalties, penalties_appeals, selectors_penalties
from kadun.merchants.gate import selling_refusal, withdrawal_refusal
from kadun.merchants.models import Breach, Penalty, PenaltyEvent, Shop
from kadun.merchants.penalties_errors import AppealClosed, AppealSameStaff, NotPenaltyStaff, ReasonRequired
from kadun.merchants.services import breach_record
from kadun.reputation import services as credit

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk():
    return make_user(staff_role="risk")


@pytest.fixture
def risk2():
    return make_user(staff_role="risk")


def _violation(shop, staff, kind="invalid_keys", **kw):
    proposal = penalties.penalty_propose(shop_id=shop.pk, kind=kind, evidence={"orders": [1]}, note="买家反馈卡密已被使用", proposed_by=staff)
    return penalties.penalty_confirm(penalty_id=proposal.pk, staff=staff, reason="核实：卡密为转卖", **kw)


def test_first_violation_warns_minus_one_hundred_and_keeps_selling(risk):
    shop = make_shop()
    before = credit.score_recompute(shop_id=shop.pk)
    penalty = _violation(shop, risk, fine=5000)
    assert penalty.level == "warning" and penalty.rule == "penalties.invalid_keys" and penalty.evidence == {"orders": [1]}
    assert penalty.fine == 5000 and penalty.fine_paid  # order 1 names no buyer here: the fine goes to the platform
    assert selectors_penalties.warnings_active(shop.pk) == 1 and not selectors_penalties.is_banned(shop.pk)
    shop.refresh_from_db()
    assert shop.is_active and selling_refusal(shop.pk) is None
    assert (before, credit.score_recompute(shop_id=shop.pk)) == (700, 600)  # a new shop: its capped 700, less 100
    assert list(PenaltyEvent.objects.filter(penalty=penalty).values_list("kind", flat=True)) == ["proposed", "confirmed", "fine_paid"]


def test_a_fine_is_paid_out_of_the_deposit_to_the_harmed_buyers_in_equal_parts(risk):
    from kadun.ledger import accounts as codes
    from kadun.ledger.selectors import balance_of
    from kadun.merchants.tests.funds_helpers import assert_books_clean, credit, deposit

    shop = make_shop()
    product = make_product(shop, keys=3)
    alice, bob = make_user(), make_user()
    o1, _, _ = buy(product, buyer=alice)
    o2, _, _ = buy(product, buyer=bob)
    o3, _, _ = buy(product, buyer=alice)  # alice's second order: she is one harmed buyer, not two
    credit(codes.merchant_deposit(shop.pk), 10_000)
    proposal = penalties.penalty_propose(shop_id=shop.pk, kind="invalid_keys", evidence={"orders": [o1.pk, o2.pk, o3.pk]},
                                         note="卡密为转卖", proposed_by=risk)
    before = {u.pk: balance_of(codes.buyer_wallet(u.pk)) for u in (alice, bob)}
    penalty = penalties.penalty_confirm(penalty_id=proposal.pk, staff=risk, reason="核实：卡密为转卖", fine=3001)
    assert penalty.fine_paid
    assert balance_of(codes.buyer_wallet(alice.pk)) - before[alice.pk] == 1501  # the odd 分 to the first
    assert balance_of(codes.buyer_wallet(bob.pk)) - before[bob.pk] == 1500
    assert deposit(shop) == 10_000 - 3001
    assert_books_clean()


@pytest.mark.evidence_tampered  # the orders are seeded in bulk behind the services (tests/credit_data.py): no entries
def test_a_warning_takes_one_hundred_off_an_established_shop(risk):
    shop = make_shop()
    Shop.objects.filter(pk=shop.pk).update(created_at=clock.now() - dt.timedelta(days=400))
    from tests.credit_data import confirmed_orders

    confirmed_orders(shop, 30)
    before = credit.score_recompute(shop_id=shop.pk)
    _violation(shop, risk)
    assert credit.score_recompute(shop_id=shop.pk) == before - 100


def test_second_violation_within_twelve_months_bans(risk):
    shop = make_shop()
    product = make_product(shop, keys=3)
    _violation(shop, risk)
    clock.advance(dt.timedelta(days=200))
    penalty = _violation(shop, risk, kind="refund_refusal")
    assert penalty.level == "ban" and penalty.ban_settles_at is not None
    shop.refresh_from_db()
    assert not shop.is_active  # listings off
    assert selling_refusal(shop.pk).code == "shop_banned"
    assert withdrawal_refusal(shop.pk).code == "withdrawals_frozen_ban"
    with pytest.raises(DomainError):
        buy(product)  # checkout refused: the shop is off the storefront


def test_second_violation_after_twelve_months_only_warns(risk):
    shop = make_shop()
    _violation(shop, risk)
    clock.advance(dt.timedelta(days=366))
    assert _violation(shop, risk, kind="refund_refusal").level == "warning"
    assert selectors_penalties.warnings_active(shop.pk) == 1 and not selectors_penalties.is_banned(shop.pk)


@pytest.mark.parametrize("kind", ["fraud", "evidence_tampering", "running_away"])
def test_the_gravest_kinds_ban_at_once(risk, kind):
    shop = make_shop()
    assert _violation(shop, risk, kind=kind).level == "ban"
    assert selectors_penalties.is_banned(shop.pk)


def test_three_missed_deadlines_in_thirty_days_propose_a_penalty():
    shop = make_shop()
    breach_record(shop_id=shop.pk, kind="service_overdue", order_id=11)
    breach_record(shop_id=shop.pk, kind="refund_no_response", order_id=12)
    assert not Penalty.objects.filter(shop=shop).exists()
    breach_record(shop_id=shop.pk, kind="replacement_promise_broken", order_id=13)
    proposal = Penalty.objects.get(shop=shop)
    assert (proposal.status, proposal.kind, proposal.rule) == ("proposed", "missed_deadlines", "penalties.thresholds.missed_deadlines")
    assert proposal.evidence["orders"] == [11, 12, 13] and len(proposal.evidence["breaches"]) == 3
    breach_record(shop_id=shop.pk, kind="service_overdue", order_id=14)
    proposal.refresh_from_db()
    assert Penalty.objects.filter(shop=shop).count() == 1 and proposal.evidence["orders"] == [11, 12, 13, 14]


def test_breaches_spread_over_more_than_thirty_days_propose_nothing():
    shop = make_shop()
    for order_id in (1, 2):
        breach_record(shop_id=shop.pk, kind="service_overdue", order_id=order_id)
    clock.advance(dt.timedelta(days=31))
    breach_record(shop_id=shop.pk, kind="service_overdue", order_id=3)
    assert not Penalty.objects.filter(shop=shop).exists() and Breach.objects.filter(shop=shop).count() == 3


def test_two_lure_breaches_propose_and_staff_dismiss_with_a_reason(risk):
    shop = make_shop()
    breach_record(shop_id=shop.pk, kind="off_platform_lure")
    breach_record(shop_id=shop.pk, kind="off_platform_lure")
    proposal = Penalty.objects.get(shop=shop, kind="off_platform_lure")
    with pytest.raises(ReasonRequired):
        penalties.penalty_dismiss(penalty_id=proposal.pk, staff=risk, reason=" ")
    penalties.penalty_dismiss(penalty_id=proposal.pk, staff=risk, reason="误报：为平台客服号")
    proposal.refresh_from_db()
    assert proposal.status == "dismissed" and proposal.decided_by == risk and selectors_penalties.warnings_active(shop.pk) == 0


def test_only_risk_staff_decide(risk):
    shop = make_shop()
    proposal = penalties.penalty_propose(shop_id=shop.pk, kind="fraud", evidence={}, note="")
    with pytest.raises(NotPenaltyStaff):
        penalties.penalty_confirm(penalty_id=proposal.pk, staff=make_user(staff_role="support"), reason="x")
    assert Penalty.objects.get(pk=proposal.pk).status == "proposed"


def test_appeal_goes_to_a_different_staff_member_and_overturns(risk, risk2):
    shop = make_shop()
    penalty = _violation(shop, risk, kind="fraud")
    appeal = penalties_appeals.appeal_file(shop=shop, penalty_id=penalty.pk, reason="证据见附件")
    assert list(selectors_penalties.appeals_queue(staff=risk)) == []
    assert list(selectors_penalties.appeals_queue(staff=risk2)) == [appeal]
    with pytest.raises(AppealSameStaff):
        penalties_appeals.appeal_decide(appeal_id=appeal.pk, staff=risk, overturn=True, reason="我自己撤销")
    assert selectors_penalties.is_banned(shop.pk)
    penalties_appeals.appeal_decide(appeal_id=appeal.pk, staff=risk2, overturn=True, reason="证据不足")
    penalty.refresh_from_db()
    shop.refresh_from_db()
    assert penalty.status == "overturned" and not selectors_penalties.is_banned(shop.pk) and shop.is_active


def test_appeal_after_seven_days_is_refused(risk):
    shop = make_shop()
    penalty = _violation(shop, risk)
    clock.advance(dt.timedelta(days=7, minutes=1))
    with pytest.raises(AppealClosed):
        penalties_appeals.appeal_file(shop=shop, penalty_id=penalty.pk, reason="晚了")


def test_ban_settles_when_nothing_is_open(risk, django_capture_on_commit_callbacks):
    shop = make_shop()
    penalty = _violation(shop, risk, kind="running_away")
    clock.advance(dt.timedelta(days=31))
    assert penalties.ban_settle(penalty_id=penalty.pk) == "done"
    penalty.refresh_from_db()
    assert penalty.settled_at is not None
    assert PenaltyEvent.objects.filter(penalty=penalty, kind="settled").exists()


def test_ban_settlement_pays_deposit_and_available_less_debt_as_one_reviewed_withdrawal(risk, monkeypatch):
    from kadun.ledger import accounts as codes
    from kadun.ledger.selectors import balance_of
    from kadun.merchants.models import Withdrawal
    from kadun.merchants.tests.funds_helpers import alipay_account, assert_books_clean, available, credit, deposit, in_flight, verified

    shop = make_shop()
    verified(monkeypatch)
    alipay_account(shop)
    credit(codes.merchant_available(shop.pk), 30_000)
    credit(codes.merchant_deposit(shop.pk), 50_000)
    credit(codes.merchant_debt(shop.pk), -5_000)  # owes ¥50 of 先行赔付
    penalty = _violation(shop, risk, kind="running_away")
    assert withdrawal_refusal(shop.pk) is not None  # banned: the merchant's own withdrawals are refused
    clock.advance(dt.timedelta(days=31))
    assert penalties.ban_settle(penalty_id=penalty.pk) == "done"
    w = Withdrawal.objects.get(shop=shop)
    assert (w.status, w.amount, w.review_reasons) == ("review", 75_000, ["ban_settlement"])
    assert (deposit(shop), available(shop), in_flight(shop)) == (0, 0, 75_000)
    assert balance_of(codes.merchant_debt(shop.pk)) == 0
    assert penalties.ban_payout(shop_id=shop.pk, penalty_id=penalty.pk)  # again: the same withdrawal, nothing moves twice
    assert Withdrawal.objects.filter(shop=shop).count() == 1 and in_flight(shop) == 75_000
    assert_books_clean()


def test_ban_settlement_waits_for_open_orders(risk, django_capture_on_commit_callbacks):
    shop = make_shop()
    product = make_product(shop, keys=1)
    buy(product)  # pending payment: its window is open
    penalty = _violation(shop, risk, kind="running_away")
    clock.advance(dt.timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert penalties.ban_settle(penalty_id=penalty.pk) == "postponed"
    penalty.refresh_from_db()
    assert penalty.settled_at is None and penalty.ban_settles_at > clock.now()


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_one_shop_at_once_give_a_warning_then_a_ban():
    """The shop row is locked first: the second confirmation sees the first and bans."""
    from conftest import together

    shop, staff = make_shop(), make_user(staff_role="risk")
    a = penalties.penalty_propose(shop_id=shop.pk, kind="invalid_keys", evidence={"orders": [1]})
    b = penalties.penalty_propose(shop_id=shop.pk, kind="refund_refusal", evidence={"orders": [2]})
    results = together(*(lambda p=p: penalties.penalty_confirm(penalty_id=p.pk, staff=staff, reason="并发") for p in (a, b)))
    assert sorted(r.level for r in results) == ["ban", "warning"]
    assert selectors_penalties.is_banned(shop.pk)


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_breaches_at_the_same_moment_make_one_proposal():
    from conftest import all_at_once

    shop = make_shop()
    for order_id in (1, 2):
        breach_record(shop_id=shop.pk, kind="service_overdue", order_id=order_id)
    all_at_once(lambda i: breach_record(shop_id=shop.pk, kind="service_overdue", order_id=10 + i), range(4))
    assert Penalty.objects.filter(shop=shop, status="proposed").count() == 1
