"""The pool's money, to the 分: the premium booked on payment (never into escrow), nothing on
expiry, the premium back when the cover never started, an insured order of a runaway merchant
paid from the pool and recovered as debt owed to it, and a non-insured one still 先行赔付."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, make_user, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.insurance.models import Claim, Recovery
from kadun.insurance.tests.helpers import POOL, delivered, drain_available, fund_pool, ledger_clean, runaway_product, set_score, settled
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders import services as order_services
from kadun.orders.models import Order
from kadun.risk import runaway, runaway_disposal

pytestmark = pytest.mark.django_db
FEE = 20  # 2 % of 1000


def test_the_premium_goes_to_the_pool_on_payment_and_the_price_to_escrow():
    product = make_product(keys=2, price=1000)  # a new shop: 700, band mid, ×1.5 → 30 分
    order = delivered(product, insure=True)
    assert balance_of(POOL) == 30
    assert balance_of(f"escrow:order:{order.pk}") == 1000
    entry = JournalEntry.objects.get(kind="insurance_premium", ref_id=order.pk)
    assert entry.idempotency_key == f"premium:payment:{order.payment.pk}"
    assert ledger_clean()


def test_the_merchant_is_released_the_price_only():
    product = make_product(keys=2, price=1000)
    order = delivered(product, insure=True)
    order_services.order_confirm(order_id=order.pk, actor="buyer")
    assert balance_of(f"merchant:{product.shop_id}:pending") == 1000 - FEE and balance_of(POOL) == 30


def test_a_wallet_payment_books_the_premium_too():
    from kadun.ledger.services import entry_post

    buyer = make_user()
    entry_post(kind="test_topup", idempotency_key=f"test_topup:{buyer.pk}", lines=[("external:seed", -2000), (f"buyer:{buyer.pk}:wallet", 2000)])
    product = make_product(keys=2, price=1000)
    order, outcome = order_services.order_checkout_wallet(user=buyer, product_id=product.pk, quantity=1, confirm_no_reason_exclusion=True, insure=True)
    assert outcome == "delivered" and balance_of(f"buyer:{buyer.pk}:wallet") == 2000 - 1030 and balance_of(POOL) == 30
    assert ledger_clean()


def test_nothing_is_booked_when_the_order_expires_unpaid():
    product = make_product(keys=2, price=1000)
    order, _, _ = buy(product, insure=True)
    clock.advance(dt.timedelta(minutes=20))
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.status == "expired" and balance_of(POOL) == 0
    assert not JournalEntry.objects.filter(kind__startswith="insurance", ref_id=order.pk).exists()


def test_the_premium_is_returned_when_refunded_in_full_before_delivery():
    product = make_product(price=1000, delivery="manual")
    order, _, _ = buy(product, insure=True, buyer_inputs={"account": "player1"})
    order = pay(order)
    assert order.status == "paid" and balance_of(POOL) == 30
    before = balance_of("external:sandbox")
    order_services.order_refund(order_id=order.pk, amount=1000, reason="test", sources=("paid",), key="test:undelivered")
    assert balance_of(POOL) == 0 and balance_of("external:sandbox") == before + 1030  # price and premium back
    assert JournalEntry.objects.filter(kind="insurance_premium_return", ref_id=order.pk).count() == 1
    assert ledger_clean()


def test_the_premium_is_kept_when_refunded_after_delivery():
    product = make_product(keys=2, price=1000)
    order = delivered(product, insure=True)
    order_services.order_refund(order_id=order.pk, amount=1000, reason="test", sources=("delivered",), key="test:delivered")
    assert balance_of(POOL) == 30  # the cover ran from delivery


def _ran_away(insure: bool):
    """An insured (or not) order, settled; the merchant emptied available and holds no deposit;
    then 跑路处置 refunds it."""
    product = runaway_product()
    set_score(product.shop, 850)  # premium 20
    fund_pool(5000)
    order = settled(product, insure=insure)
    drain_available(product.shop_id)
    assert balance_of(f"merchant:{product.shop_id}:available") == 0 and balance_of(f"merchant:{product.shop_id}:deposit") == 0
    staff = make_user(staff_role="risk")
    runaway.shop_freeze(shop_id=product.shop_id, reason="失联", actor=staff)
    runaway_disposal.runaway_declare(shop_id=product.shop_id, actor=staff, reason="商家跑路", notice="", confirm_name=product.shop.name)
    deadlines_sweep_all()
    order.refresh_from_db()
    return product.shop, order


def test_an_insured_order_of_a_runaway_merchant_is_paid_from_the_pool():
    before = balance_of("external:sandbox")
    shop, order = _ran_away(insure=True)
    assert order.status == "refunded" and balance_of("external:sandbox") == before + 1000 - 1020  # the buyer: 1000 back of 1020 paid
    assert balance_of(POOL) == 5000 + 20 - (1000 - FEE)  # the merchant's share; the platform gives its fee back
    claim = Claim.objects.get(order=order)
    assert claim.amount == 1000 - FEE and claim.refund_key == "refund:runaway:order:%d" % order.pk
    assert balance_of(f"merchant:{shop.pk}:debt") == -(1000 - FEE)  # booked as the merchant's debt …
    assert balance_of(f"merchant:{shop.pk}:pool_debt") == 1000 - FEE  # … owed to the pool
    assert balance_of("platform:advance") == 0
    assert ledger_clean()


def test_the_disposal_report_shows_the_pool_as_a_source():
    shop, order = _ran_away(insure=True)
    from kadun.risk.models_freeze import RunawayDisposal

    report = runaway_disposal.disposal_report(RunawayDisposal.objects.get(shop_id=shop.pk))
    assert report["totals"]["insurance_pool"] == 1000 - FEE and report["totals"]["advance"] == 0


def test_a_non_insured_order_in_the_same_situation_is_advanced_by_the_platform():
    shop, order = _ran_away(insure=False)
    assert order.status == "refunded" and balance_of(POOL) == 5000
    assert not Claim.objects.exists()
    assert balance_of(f"merchant:{shop.pk}:debt") == -(1000 - FEE) and balance_of(f"merchant:{shop.pk}:pool_debt") == 0
    assert ledger_clean()


def test_an_empty_pool_pays_what_it_holds_and_the_platform_advances_the_rest():
    product = runaway_product()
    set_score(product.shop, 850)
    order = settled(product, insure=True)  # the pool holds this order's 20 分 premium only
    drain_available(product.shop_id)
    order_services.order_refund(order_id=order.pk, amount=1000, reason="decision", sources=("confirmed",), key="test:decision")
    assert balance_of(POOL) == 0 and Claim.objects.get(order=order).amount == 20
    assert balance_of(f"merchant:{product.shop_id}:debt") == -(1000 - FEE) and balance_of(f"merchant:{product.shop_id}:pool_debt") == 20
    assert ledger_clean()


def test_later_merchant_income_repays_the_pool():
    product = runaway_product()
    set_score(product.shop, 850)
    fund_pool(5000)
    order = settled(product, insure=True)
    drain_available(product.shop_id)
    # A decision in the buyer's favour the merchant can't pay: the pool pays at once.
    order_services.order_refund(order_id=order.pk, amount=1000, reason="decision", sources=("confirmed",), key="test:decision")
    assert balance_of(POOL) == 5000 + 20 - 980
    settled(product, insure=False)  # the merchant sells again: its income pays the debt at settlement
    assert balance_of(POOL) == 5000 + 20  # recovered in full, into the pool
    assert balance_of(f"merchant:{product.shop_id}:pool_debt") == 0 and balance_of(f"merchant:{product.shop_id}:debt") == 0
    assert balance_of(f"merchant:{product.shop_id}:available") == 0
    recovery = Recovery.objects.get()
    assert recovery.amount == 980 and recovery.source == "settlement"
    assert ledger_clean()


def test_a_covered_order_may_still_open_a_case_within_its_protection_period():
    from kadun.cases.services import case_open

    product = make_product(price=1000, delivery="manual")
    buyer = make_user()
    orders = {}
    for insure in (True, False):
        order, _, _ = buy(product, buyer=buyer, insure=insure, buyer_inputs={"account": "p1"})
        order = pay(order)
        order_services.order_accept(order=order, shop=product.shop)
        order_services.order_deliver(order=Order.objects.get(pk=order.pk), shop=product.shop, note="已完成")
        order_services.order_confirm(order_id=order.pk, actor="buyer")
        orders[insure] = Order.objects.get(pk=order.pk)
    clock.advance(dt.timedelta(days=20))  # past the 15 days after confirmation, within the 30-day protection
    case = case_open(order=orders[True], kind="service_dispute", statement="服务没有完成，账号段位未提升", author=buyer)
    assert case.pk
    from kadun.cases.errors import InvalidCaseInput

    with pytest.raises(InvalidCaseInput) as err:
        case_open(order=orders[False], kind="service_dispute", statement="服务没有完成，账号段位未提升", author=buyer)
    assert err.value.code == "case_window_over"
    clock.advance(dt.timedelta(days=11))  # past the protection period too
    with pytest.raises(InvalidCaseInput):
        case_open(order=orders[True], kind="complaint", statement="服务没有完成，账号段位未提升", author=buyer)


def test_runaway_disposal_refunds_an_insured_service_within_its_protection_period():
    product = make_product(price=1000, delivery="manual")  # services: 30 days of protection; refund window 7 days
    set_score(product.shop, 850)
    fund_pool(5000)
    orders = {}
    for insure in (True, False):
        order, _, _ = buy(product, insure=insure, buyer_inputs={"account": "p1"})
        order = pay(order)
        order_services.order_accept(order=order, shop=product.shop)
        order_services.order_deliver(order=Order.objects.get(pk=order.pk), shop=product.shop, note="已完成")
        order_services.order_confirm(order_id=order.pk, actor="buyer")
        orders[insure] = order
    clock.advance(dt.timedelta(days=12))  # past the 7-day refund window, within the 30-day protection
    deadlines_sweep_all()  # settled
    drain_available(product.shop_id)
    staff = make_user(staff_role="risk")
    runaway.shop_freeze(shop_id=product.shop_id, reason="失联", actor=staff)
    disposal = runaway_disposal.runaway_declare(shop_id=product.shop_id, actor=staff, reason="跑路", notice="", confirm_name=product.shop.name)
    assert disposal.orders_total == 1
    deadlines_sweep_all()
    assert Order.objects.get(pk=orders[True].pk).status == "refunded" and Order.objects.get(pk=orders[False].pk).status == "confirmed"
    assert Claim.objects.get().amount == 1000 - FEE and balance_of(POOL) == 5000 + 20 - (1000 - FEE)
    assert ledger_clean()


def test_the_pool_summary_reads_premiums_claims_recoveries_and_the_loss_ratio():
    from kadun.insurance.selectors import pool_summary

    _ran_away(insure=True)  # premium 20 in, claim 980 out (after a 5000 seed, not a premium)
    summary = pool_summary()
    assert summary["balance"] == 5000 + 20 - 980
    assert summary["totals"]["premiums"] == 20 and summary["totals"]["claims_paid"] == 980 and summary["totals"]["recoveries"] == 0
    assert summary["totals"]["loss_ratio"] == 49.0  # claims paid ÷ net premiums


def test_the_platform_report_counts_the_claims_the_pool_paid():
    from kadun.report.services import report_build
    from kadun.report.selectors import report_of

    _, order = _ran_away(insure=True)
    uninsured = runaway_product()
    buy(uninsured)  # a cover not sold: not counted
    assert report_build()
    figures = report_of().figures
    for window in ("last_30_days", "all_time"):
        assert figures[window]["insurance"] == {"claims_paid": 1, "claims_amount": 1000 - FEE, "covers": 1}
