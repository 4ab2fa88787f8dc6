"""保证金: the requirement formula on fixed data, the short-since mark and its grace, the notice,
checkout refused after the grace, payments out of the deposit citing their ref, the refund
chain's deposit step, release on closing. Books clean after each scenario."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of, entries_for
from kadun.merchants import deposit as dep
from kadun.merchants import gate
from kadun.merchants.errors_funds import DepositLocked, DepositShort
from kadun.merchants.selectors_deposit import deposit_notice, deposit_position, deposit_terms
from kadun.merchants.tests.funds_helpers import assert_books_clean, available, credit, deposit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.KADUN_DEPOSIT_ENFORCE_SELLING = True


def _score(shop, score: int) -> None:
    from kadun.reputation.models import ShopScore

    ShopScore.objects.update_or_create(shop_id=shop.pk, defaults={"score": score, "provisional": False, "components": {}, "computed_at": clock.now()})


def _sold(shop, amounts: list[int]) -> None:
    """Paid orders of these amounts (the sales terms), with the deposit covering the requirement
    meanwhile so checkout is not what is tested here."""
    credit(codes.merchant_deposit(shop.pk), 10_000_000)
    for amount in amounts:
        product = make_product(shop, keys=1, price=amount)
        order, _, _ = buy(product)
        pay(order)


def test_category_minimum_wins_for_a_new_card_key_shop(shop):
    _score(shop, 850)  # high band: × 1.0
    make_product(shop, keys=1)
    terms = deposit_terms(shop.pk)
    assert (terms.kind, terms.winner, terms.required) == ("card_keys", "minimum", 50_000)


def test_services_and_game_accounts_raise_the_minimum(shop, settings):
    _score(shop, 850)
    make_product(shop, delivery="manual", category="topup")
    assert deposit_terms(shop.pk).required == 100_000
    settings.KADUN_DEPOSIT_GAME_ACCOUNT_CATEGORIES = ("other",)
    make_product(shop, keys=1, category="other")
    assert deposit_terms(shop.pk).required == 200_000


def test_ten_percent_of_thirty_days_sales_wins(shop):
    _score(shop, 850)
    _sold(shop, [100_000] * 11)  # 1,100,000 in 30 days → 110,000 > the largest order (100,000) > the minimum
    terms = deposit_terms(shop.pk)
    assert (terms.sales, terms.largest) == (1_100_000, 100_000)
    assert (terms.winner, terms.sales_term, terms.required) == ("sales", 110_000, 110_000)


def test_largest_order_of_thirty_days_wins(shop):
    _score(shop, 850)
    _sold(shop, [40_000])
    terms = deposit_terms(shop.pk)
    assert (terms.winner, terms.required) == ("minimum", 50_000)
    _sold(shop, [120_000])
    terms = deposit_terms(shop.pk)
    assert (terms.winner, terms.largest, terms.required) == ("largest", 120_000, 120_000)


def test_sales_older_than_thirty_days_do_not_count(shop):
    _score(shop, 850)
    _sold(shop, [120_000])
    clock.advance(dt.timedelta(days=31))
    assert deposit_terms(shop.pk).required == 50_000


@pytest.mark.parametrize(("score", "required"), [(850, 50_000), (700, 75_000), (500, 100_000)])
def test_credit_band_multiplies(shop, score, required):
    _score(shop, score)
    assert deposit_terms(shop.pk).required == required


def test_a_new_shop_without_a_score_is_mid_band(shop):
    assert deposit_terms(shop.pk).band == "mid"
    assert deposit_terms(shop.pk).required == 75_000


def test_below_requirement_the_product_page_says_so(shop, client):
    product = make_product(shop, keys=2)
    assert deposit_notice(shop.pk)["held"] == 0
    html = client.get(f"/p/{product.pk}/").content.decode()
    assert "保证金不足" in html
    credit(codes.merchant_deposit(shop.pk), 75_000)
    assert deposit_notice(shop.pk) is None
    assert "保证金不足" not in client.get(f"/p/{product.pk}/").content.decode()


def test_checkout_is_refused_only_after_the_grace(shop):
    product = make_product(shop, keys=5)
    before = clock.now()
    buy(product)  # first checkout finds the shop short and marks it
    since = deposit_position(shop.pk).short_since
    assert before <= since <= clock.now()
    clock.advance(dt.timedelta(hours=71, minutes=59))
    assert gate.selling_refusal(shop.pk) is None
    buy(product)
    clock.advance(dt.timedelta(minutes=1))
    assert isinstance(gate.selling_refusal(shop.pk), DepositShort)
    with pytest.raises(DepositShort):
        buy(product)
    # topping up ends it at once
    credit(codes.merchant_deposit(shop.pk), 75_000)
    dep.deposit_refresh(shop_id=shop.pk)
    assert gate.selling_refusal(shop.pk) is None and deposit_position(shop.pk).short_since is None
    buy(product)
    assert_books_clean()


def test_checkout_refusal_through_http_shows_the_message(shop, client):
    product = make_product(shop, keys=5)
    dep.deposit_refresh(shop_id=shop.pk)
    clock.advance(dt.timedelta(hours=73))
    response = client.post("/api/orders", {"product_id": product.pk, "quantity": 1, "contact": "g@example.com",
                                               "query_password": "chaxun123", "confirm_no_reason_exclusion": True},
                           content_type="application/json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "deposit_short"


def test_top_up_from_available_is_one_entry_and_idempotent(shop):
    credit(codes.merchant_available(shop.pk), 100_000)
    dep.deposit_refresh(shop_id=shop.pk)
    assert deposit_position(shop.pk).short_since is not None
    assert dep.deposit_topup_from_available(shop_id=shop.pk, amount=80_000, key="k1") is True
    assert dep.deposit_topup_from_available(shop_id=shop.pk, amount=80_000, key="k1") is False
    assert (available(shop), deposit(shop)) == (20_000, 80_000)
    assert deposit_position(shop.pk).short_since is None
    assert_books_clean()


def test_top_up_by_sandbox_payment_arrives_with_the_signed_notification(shop):
    from kadun.notifications.services import outbox_deliver_all
    from kadun.payments.models import Payment
    from kadun.payments.providers.sandbox import sandbox_trade_finish

    url = dep.deposit_topup_start(shop_id=shop.pk, amount=75_000, return_url="/merchant/funds/")
    payment = Payment.objects.get(purpose="deposit", deposit_shop=shop)
    assert url.endswith(f"/{payment.out_trade_no}/") and deposit(shop) == 0
    sandbox_trade_finish(out_trade_no=payment.out_trade_no, paid=True)
    outbox_deliver_all()
    assert deposit(shop) == 75_000
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert_books_clean()


def test_compensation_from_deposit_cites_its_decision(shop):
    buyer = make_user()
    credit(codes.merchant_deposit(shop.pk), 30_000)
    paid = dep.deposit_pay(shop_id=shop.pk, amount=12_345, to="buyer", buyer_id=buyer.pk, order_id=7, reason="仲裁赔付",
                           ref_type="case_decision", ref_id=99, key="decision:99")
    again = dep.deposit_pay(shop_id=shop.pk, amount=12_345, to="buyer", buyer_id=buyer.pk, order_id=7, reason="仲裁赔付",
                            ref_type="case_decision", ref_id=99, key="decision:99")
    assert (paid.from_deposit, paid.shortfall, again.created) == (12_345, 0, False)
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 12_345 and deposit(shop) == 17_655
    [entry] = entries_for(ref_type="case_decision", ref_id=99)
    assert entry.kind == "deposit_pay"
    assert_books_clean()


def test_fine_beyond_the_deposit_is_owed_as_debt(shop):
    from kadun.ledger.merchant_funds import debt_owed

    credit(codes.merchant_deposit(shop.pk), 10_000)
    paid = dep.deposit_pay(shop_id=shop.pk, amount=25_000, to="platform", reason="违规罚款", ref_type="penalty", ref_id=5, key="penalty:5")
    assert (paid.from_deposit, paid.shortfall) == (10_000, 15_000)
    assert deposit(shop) == 0 and debt_owed(shop.pk) == 15_000
    assert balance_of(codes.PLATFORM_FINES) == 25_000
    assert entries_for(ref_type="penalty", ref_id=5).count() == 1
    assert_books_clean()


def test_refund_after_release_takes_the_deposit_before_the_platform_advance():
    from kadun.ledger.merchant_funds import debt_owed
    from kadun.orders.services import order_confirm, order_refund

    shop = make_shop()
    credit(codes.merchant_deposit(shop.pk), 3_000)
    product = make_product(shop, keys=1, price=10_000)
    order, _, _ = buy(product, buyer=make_user())
    pay(order)
    order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    # the pending income is spent elsewhere: take it out to available and withdraw it away
    from kadun.ledger import services as ledger

    ledger.entry_post(kind="test", idempotency_key="drain", lines=[(codes.merchant_pending(shop.pk), -9_800), (codes.external("test"), 9_800)])
    with transaction.atomic():
        order_refund(order_id=order.pk, amount=10_000, reason="test", sources=("confirmed",), destination="wallet", key="t1")
    # fee 200 back from the platform; merchant part 9,800: deposit 3,000, advance 6,800 as debt
    assert deposit(shop) == 0 and debt_owed(shop.pk) == 6_800
    assert balance_of(codes.buyer_wallet(order.buyer_id)) == 10_000
    assert deposit_position(shop.pk).short_since is not None  # the deduction refreshed the mark
    assert_books_clean()


def test_deposit_withdrawal_is_refused_until_ninety_days_after_the_last_sale(shop):
    credit(codes.merchant_deposit(shop.pk), 75_000)
    product = make_product(shop, keys=1)
    order, _, _ = buy(product)
    pay(order)
    clock.advance(dt.timedelta(days=89))
    with pytest.raises(DepositLocked) as refused:
        dep.deposit_withdraw_on_close(shop_id=shop.pk)
    assert (order.paid_at + dt.timedelta(days=90)).strftime("%Y-%m-%d") in refused.value.message
    clock.advance(dt.timedelta(days=1))
    assert dep.deposit_withdraw_on_close(shop_id=shop.pk) == 75_000
    shop.refresh_from_db()
    assert not shop.is_active and deposit(shop) == 0 and available(shop) == 75_000
    assert_books_clean()


def test_nightly_check_marks_a_shop_that_became_short(shop):
    from kadun.deadlines.models import Deadline
    from kadun.deadlines.services import deadlines_sweep_all

    credit(codes.merchant_deposit(shop.pk), 75_000)
    dep.deposit_refresh(shop_id=shop.pk)
    assert Deadline.objects.filter(kind=dep.KIND_NIGHTLY, subject_id=shop.pk, fired_at=None).exists()
    _score(shop, 500)  # low band: 100,000 required
    clock.advance(dt.timedelta(days=1))
    deadlines_sweep_all()
    assert deposit_position(shop.pk).short_since is not None


def test_the_shop_page_include_shows_held_against_required(shop):
    from django.template import Context, Template

    render = Template("{% load deposit %}{% shop_deposit shop_id %}").render
    assert "¥0.00" in render(Context({"shop_id": shop.pk})) and "¥750.00" in render(Context({"shop_id": shop.pk}))
    credit(codes.merchant_deposit(shop.pk), 75_000)
    assert "已足额缴纳" in render(Context({"shop_id": shop.pk}))
