"""Freeze effects (the gate, auto-confirm held and resumed) and 跑路处置: every open order refunded
in full from the right accounts to the 分, once, resumable after a crash."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from conftest import make_product, make_user
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep, deadlines_sweep_all
from kadun.ledger.selectors import balance_of
from kadun.merchants.gate import selling_refusal, withdrawal_refusal
from kadun.orders import services as order_services
from kadun.orders.errors import NotConfirmable
from kadun.orders.models import Order
from kadun.payments.models import Refund
from kadun.risk import runaway, runaway_disposal
from kadun.risk.errors import ConfirmRequired, DisposalDeclared
from kadun.risk.models import RunawayRefund
from kadun.risk.selectors_freeze import disposal_progress, shop_notice
from kadun.risk.tests.runaway_helpers import balances, confirmed, delivered, drain_available, settle_all

pytestmark = pytest.mark.django_db
FEE = 20  # 2% of 1000


def _staff():
    return make_user(staff_role="risk")


def _freeze(shop):
    return runaway.shop_freeze(shop_id=shop.pk, reason="多次逾期未处理退款", actor=_staff())


def _ledger_clean():
    out = io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code == 0
    return True


def _payout_ready(shop, monkeypatch):
    """A verified payout account: the only withdrawal refusal left is the freeze's."""
    from kadun.merchants.tests.funds_helpers import alipay_account, verified

    verified(monkeypatch)
    alipay_account(shop)


def test_a_frozen_shop_may_not_sell_nor_withdraw(monkeypatch):
    product = make_product(keys=1)
    _payout_ready(product.shop, monkeypatch)
    _freeze(product.shop)
    assert selling_refusal(product.shop_id).code == "shop_frozen"
    assert withdrawal_refusal(product.shop_id).code == "shop_frozen_withdrawal"


def test_a_frozen_shops_products_leave_the_storefront_and_come_back_when_unfrozen():
    from kadun.catalog.selectors import storefront

    product = make_product(keys=1)
    assert product in storefront()
    _freeze(product.shop)
    assert product not in storefront()  # listings paused, in the listing's own query (Shop.selling_blocks)
    runaway.shop_unfreeze(shop_id=product.shop_id, actor=_staff(), note="核实无误")
    assert product in storefront()


def test_an_unfrozen_shop_may_sell_and_withdraw_again(monkeypatch):
    product = make_product(keys=1)
    _payout_ready(product.shop, monkeypatch)
    _freeze(product.shop)
    runaway.shop_unfreeze(shop_id=product.shop_id, actor=_staff(), note="核实无误")
    assert selling_refusal(product.shop_id) is None and withdrawal_refusal(product.shop_id) is None


def test_auto_confirm_does_not_release_a_frozen_shops_escrow():
    product = make_product(keys=1)
    order = delivered(product)
    _freeze(product.shop)
    clock.advance(dt.timedelta(hours=order.inspection_hours + 1))
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.status == "delivered" and balance_of(f"escrow:order:{order.pk}") == 1000
    assert balance_of(f"merchant:{product.shop_id}:pending") == 0


def test_unfreezing_resumes_auto_confirm():
    product = make_product(keys=1)
    order = delivered(product)
    _freeze(product.shop)
    clock.advance(dt.timedelta(hours=order.inspection_hours + 1))
    deadlines_sweep_all()
    runaway.shop_unfreeze(shop_id=product.shop_id, actor=_staff(), note="商家已恢复处理")
    deadlines_sweep_all()
    order.refresh_from_db()
    assert order.status == "confirmed" and balance_of(f"escrow:order:{order.pk}") == 0
    assert balance_of(f"merchant:{product.shop_id}:pending") == 1000 - FEE


def test_the_buyer_cannot_release_a_frozen_shops_escrow_either():
    product = make_product(keys=1)
    order = delivered(product)
    _freeze(product.shop)
    with pytest.raises(NotConfirmable) as err:
        order_services.order_confirm(order_id=order.pk, actor="buyer")
    assert err.value.code == "shop_frozen" and balance_of(f"escrow:order:{order.pk}") == 1000


def _runaway_shop():
    """Orders at every stage: two settled (available; the merchant then took most of it out),
    one confirmed (pending), one delivered (escrow), one already refunded, one confirmed long ago
    (outside its after-sales window)."""
    product = make_product(keys=10, price=1000)
    shop = product.shop
    old = confirmed(product)  # delivered 8+ days before the disposal: outside the 7-day window
    clock.advance(dt.timedelta(days=8))
    available_a, available_b = confirmed(product), confirmed(product)
    settle_all()
    drain_available(shop.pk, 3 * (1000 - FEE) - 300)  # 300 left (of the three settled): the second needs 先行赔付
    pending = confirmed(product)
    in_escrow = delivered(product)
    gone = delivered(product)
    order_services.order_refund(order_id=gone.pk, amount=1000, reason="test", sources=("delivered",), key="test:gone")
    return shop, {"old": old, "a": available_a, "b": available_b, "pending": pending, "escrow": in_escrow, "gone": gone}


def _declare(shop):
    return runaway_disposal.runaway_declare(shop_id=shop.pk, actor=_staff(), reason="商家失联，多名买家投诉", notice="该店铺已跑路，平台全额退款。",
                                            confirm_name=shop.name)


def test_runaway_refunds_every_open_order_in_full_from_the_right_accounts():
    shop, o = _runaway_shop()
    before = balances(shop.pk, o.values())
    disposal = _declare(shop)
    assert disposal.orders_total == 4  # a, b, pending, escrow (gone was refunded, old is outside its window)
    deadlines_sweep_all()
    after = balances(shop.pk, o.values())
    delta = {k: after[k] - before[k] for k in after}
    assert delta[f"escrow:order:{o['escrow'].pk}"] == -1000
    assert delta[f"merchant:{shop.pk}:pending"] == -(1000 - FEE)
    assert delta[f"merchant:{shop.pk}:available"] == -300
    assert delta[f"merchant:{shop.pk}:debt"] == -(2 * (1000 - FEE) - 300)  # 先行赔付, owed by the merchant
    assert delta["platform:advance"] == 0  # paid out, and booked as the merchant's debt
    assert delta["platform:fees"] == -3 * FEE  # the platform gives its fee back on a full refund
    assert delta["external:sandbox"] == 4000  # back to where the buyers paid from
    for key in ("a", "b", "pending", "escrow"):
        assert Order.objects.get(pk=o[key].pk).status == "refunded"
    assert Order.objects.get(pk=o["old"].pk).status == "confirmed"
    assert _ledger_clean()


def test_the_report_says_what_came_from_where():
    shop, o = _runaway_shop()
    disposal = _declare(shop)
    deadlines_sweep_all()
    report = runaway_disposal.disposal_report(disposal)
    assert report["totals"] == {"escrow": 1000, "platform_fee": 3 * FEE, "pending": 1000 - FEE, "available": 300, "deposit": 0,
                                "insurance_pool": 0, "advance": 2 * (1000 - FEE) - 300}
    rows = {r["order_id"]: r for r in report["rows"]}
    assert rows[o["escrow"].pk]["sources"]["escrow"] == 1000 and rows[o["pending"].pk]["sources"]["pending"] == 1000 - FEE
    assert sum(r["amount"] for r in report["rows"]) == 4000
    disposal.refresh_from_db()
    assert disposal.status == "done" and disposal_progress(disposal)["refunded"] == 4


def test_each_buyer_is_told_and_the_shop_shows_the_notice():
    shop, o = _runaway_shop()
    _declare(shop)
    deadlines_sweep_all()
    notice = shop_notice(shop.pk)
    assert notice["disposal"] and notice["notice"] == "该店铺已跑路，平台全额退款。"
    from kadun.notifications.models import OutboxMessage

    mails = [i.payload for i in OutboxMessage.objects.filter(topic="email") if "商家跑路处置" in i.payload.get("body", "")]
    assert len(mails) == 4


def test_a_disposal_is_not_lifted_and_needs_the_shop_name():
    shop, _ = _runaway_shop()
    with pytest.raises(ConfirmRequired):
        runaway_disposal.runaway_declare(shop_id=shop.pk, actor=_staff(), reason="x", notice="", confirm_name="别的店")
    _declare(shop)
    with pytest.raises(DisposalDeclared):
        runaway.shop_unfreeze(shop_id=shop.pk, actor=_staff(), note="想解冻")


def test_a_crash_in_the_middle_resumes_and_refunds_each_order_once(monkeypatch):
    shop, o = _runaway_shop()
    disposal = _declare(shop)
    real = order_services.order_refund
    calls = []

    def crashing(**kwargs):
        calls.append(kwargs["order_id"])
        if len(calls) == 3:
            raise KeyboardInterrupt("the sweeper's process was killed")
        return real(**kwargs)

    monkeypatch.setattr(order_services, "order_refund", crashing)
    assert deadlines_sweep(batch=2) == 2  # first batch committed
    with pytest.raises(KeyboardInterrupt):
        deadlines_sweep(batch=2)  # the second batch dies mid-way: rolled back
    assert RunawayRefund.objects.filter(disposal=disposal, status="refunded").count() == 2
    monkeypatch.setattr(order_services, "order_refund", real)
    deadlines_sweep_all()
    assert RunawayRefund.objects.filter(disposal=disposal, status="refunded").count() == 4
    for key in ("a", "b", "pending", "escrow"):
        assert Refund.objects.filter(order_id=o[key].pk).count() == 1
    assert _ledger_clean()


def test_one_sweeper_batch_releases_the_other_shops_escrow_and_holds_the_frozen_ones():
    frozen_product, other_product = make_product(keys=1), make_product(keys=1)
    held, released = delivered(frozen_product), delivered(other_product)
    _freeze(frozen_product.shop)
    clock.advance(dt.timedelta(hours=held.inspection_hours + 1))
    outcomes = order_services.orders_autoconfirm(order_ids=[held.pk, released.pk])
    assert outcomes == {held.pk: "frozen", released.pk: "done"}
    assert Order.objects.get(pk=held.pk).status == "delivered" and Order.objects.get(pk=released.pk).status == "confirmed"


def test_an_open_refund_request_is_closed_and_the_order_refunded_in_full():
    from kadun.aftersales.models import RefundRequest
    from kadun.aftersales.services import refund_request_create
    from kadun.inventory.models import CardKey

    product = make_product(keys=2)
    order = delivered(product)
    key = CardKey.objects.get(order=order)
    CardKey.objects.filter(pk=key.pk).update(first_revealed_at=clock.now())  # seen: the merchant decides
    request = refund_request_create(order=order, reason="not_as_described", statement="与描述不符", key_ids=[key.pk])
    assert request.status == "awaiting_merchant" and Order.objects.get(pk=order.pk).refund_hold
    _declare(product.shop)
    deadlines_sweep_all()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, order.refund_hold) == ("refunded", 1000, False)
    assert RefundRequest.objects.get(pk=request.pk).status == "order_refunded"
    assert Refund.objects.filter(order=order).count() == 1
