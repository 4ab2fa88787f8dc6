"""跑路 signals at their published thresholds (just below: off, at: on), the score raising one
alert, and the score at the freeze line freezing the shop."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.models import RefundRequest
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep_all
from kadun.evidence import services as evidence
from kadun.inventory.models import CardKey, VerificationReport
from kadun.merchants.services import breach_record
from kadun.risk import runaway, runaway_signals
from kadun.risk.models import RiskAlert, ShopFreeze
from kadun.risk.selectors_freeze import shop_frozen

pytestmark = pytest.mark.django_db


def _breaches(shop, n):
    for i in range(n):
        breach_record(shop_id=shop.pk, kind="refund_no_response", order_id=None, note=f"退款申请 {i} 逾期未处理")


def test_silent_below_threshold_is_off():
    shop = make_shop()
    _breaches(shop, 2)
    s = runaway_signals.silent(shop.pk, clock.now())
    assert (s.value, s.threshold, s.on) == (2, 3, False)


def test_silent_at_threshold_is_on_and_old_breaches_do_not_count():
    shop = make_shop()
    _breaches(shop, 1)
    clock.advance(dt.timedelta(hours=49))
    _breaches(shop, 3)
    s = runaway_signals.silent(shop.pk, clock.now())
    assert (s.value, s.on, len(s.facts["breaches"])) == (3, True, 3)


def _queued_manual(n):
    shop = make_shop()
    product = make_product(shop, delivery="manual", price=500)
    for _ in range(n):
        order, _, _ = buy(product, buyer_inputs={"account": "player1"})
        pay(order)
    return shop


def test_inactive_with_queue_below_threshold_is_off():
    shop = _queued_manual(2)
    clock.advance(dt.timedelta(hours=25))
    s = runaway_signals.inactive_with_queue(shop.pk, clock.now())
    assert (s.value, s.on) == (2, False) and s.facts["queued"] == 2


def test_inactive_with_queue_at_threshold_is_on_only_after_the_hours():
    shop = _queued_manual(3)
    clock.advance(dt.timedelta(hours=23))
    assert not runaway_signals.inactive_with_queue(shop.pk, clock.now()).on  # active less than 24 h ago
    clock.advance(dt.timedelta(hours=1))
    s = runaway_signals.inactive_with_queue(shop.pk, clock.now())
    assert (s.value, s.on) == (3, True)


def test_a_login_is_activity():
    shop = _queued_manual(3)
    clock.advance(dt.timedelta(hours=30))
    type(shop.owner).objects.filter(pk=shop.owner_id).update(last_login=clock.now() - dt.timedelta(hours=2))
    assert not runaway_signals.inactive_with_queue(shop.pk, clock.now()).on


def _revealed_batch(reported: int):
    product = make_product(keys=10, price=100)
    order, _, _ = buy(product, quantity=10)
    order = pay(order)
    keys = list(CardKey.objects.filter(order=order).order_by("pk"))
    CardKey.objects.filter(order=order).update(first_revealed_at=clock.now())
    for key in keys[:reported]:
        report = VerificationReport.objects.create(order=order, key=key, checker="test", result="used", checked_at=clock.now(),
                                                   before_first_reveal=False)
        evidence.record("inventory.verification", report)  # seeded rows are facts too: logged as the service would
    return product.shop


def test_invalid_keys_below_share_is_off():
    shop = _revealed_batch(2)
    s = runaway_signals.invalid_keys(shop.pk, clock.now())
    assert (s.value, s.threshold, s.on, s.facts["revealed"]) == (20, 30, False, 10)


def test_invalid_keys_at_share_is_on():
    shop = _revealed_batch(3)
    s = runaway_signals.invalid_keys(shop.pk, clock.now())
    assert (s.value, s.on, s.facts["reported_invalid"]) == (30, True, 3)


def _complaints(n):
    product = make_product(keys=1, price=100)
    order, _, _ = buy(product)
    order = pay(order)
    for i in range(n):
        request = RefundRequest.objects.create(
            request_no=f"RRT{order.pk}{i}", order=order, shop=order.shop, reason="other", amount_requested=100, outcome="ask_merchant",
            explanation="-", status="rejected", created_at=clock.now(),
        )
        evidence.record("aftersales.request", request)
    return order.shop


def test_withdrawal_after_complaints_below_threshold_is_off():
    shop = _complaints(4)
    result = runaway.runaway_on_withdrawal_requested(shop_id=shop.pk)
    s = next(s for s in result.signals if s.name == "withdrawal_after_complaints")
    assert (s.value, s.on) == (4, False) and result.score == 0


def test_withdrawal_after_complaints_at_threshold_is_on_and_raises_an_alert():
    shop = _complaints(5)
    result = runaway.runaway_on_withdrawal_requested(shop_id=shop.pk)
    s = next(s for s in result.signals if s.name == "withdrawal_after_complaints")
    assert (s.value, s.on, result.score) == (5, True, 40)
    alert = RiskAlert.objects.get(kind="runaway", subject=f"shop:{shop.pk}")
    assert alert.details["signals"][1]["facts"]["refund_requests"] == 5


def test_complaints_without_a_withdrawal_are_not_the_signal():
    shop = _complaints(5)
    assert runaway.runaway_evaluate(shop_id=shop.pk).score == 0


def test_score_at_alert_line_raises_one_alert_however_often_evaluated():
    shop = make_shop()
    _breaches(shop, 3)  # each breach schedules the shop's evaluation
    deadlines_sweep_all()
    runaway.runaway_evaluate(shop_id=shop.pk)
    alerts = RiskAlert.objects.filter(kind="runaway", subject=f"shop:{shop.pk}")
    assert alerts.count() == 1 and alerts.get().details["score"] == 40
    assert not shop_frozen(shop.pk)  # 40 < the freeze line (80)


def test_score_below_alert_line_raises_nothing():
    shop = make_shop()
    _breaches(shop, 2)
    deadlines_sweep_all()
    assert not RiskAlert.objects.filter(kind="runaway").exists()


def test_score_at_freeze_line_freezes_the_shop_automatically(settings):
    settings.KADUN_RUNAWAY_FREEZE_SCORE = 40
    shop = make_shop()
    _breaches(shop, 3)
    deadlines_sweep_all()
    freeze = ShopFreeze.objects.get(shop=shop)
    assert shop_frozen(shop.pk) and freeze.frozen_by is None and freeze.score == 40
    assert freeze.details["signals"][0]["name"] == "silent"


def test_a_shop_scoring_above_zero_is_evaluated_again_periodically():
    shop = make_shop()
    _breaches(shop, 3)
    deadlines_sweep_all()
    deadline = Deadline.objects.get(kind="runaway_recheck", subject_id=shop.pk)
    assert deadline.fired_at is None and deadline.due_at > clock.now() + dt.timedelta(hours=5)
    clock.advance(dt.timedelta(hours=7))
    deadlines_sweep_all()
    again = Deadline.objects.get(kind="runaway_evaluate", subject_id=shop.pk)  # and so on, taking turns
    assert again.fired_at is None and again.due_at > clock.now() + dt.timedelta(hours=5)


def test_staff_unfreeze_holds_off_automatic_refreeze(settings):
    settings.KADUN_RUNAWAY_FREEZE_SCORE = 40
    shop = make_shop()
    _breaches(shop, 3)
    deadlines_sweep_all()
    runaway.shop_unfreeze(shop_id=shop.pk, actor=make_user(staff_role="risk"), note="商家已回应，误报")
    result = runaway.runaway_evaluate(shop_id=shop.pk)
    assert result.score == 40 and not result.frozen and not shop_frozen(shop.pk)
