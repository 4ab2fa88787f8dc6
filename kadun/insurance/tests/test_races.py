"""A claim is paid exactly once (threads, PostgreSQL): two executions of the same refund, and a
runaway refund racing a decision's refund of the same insured order."""
from __future__ import annotations

import pytest

from conftest import make_user, together
from kadun.insurance.models import Claim
from kadun.insurance.tests.helpers import POOL, drain_available, fund_pool, ledger_clean, runaway_product, set_score, settled
from kadun.ledger.selectors import balance_of
from kadun.orders import services as order_services
from kadun.orders.models import Order
from kadun.risk import runaway, runaway_disposal
from kadun.risk.models import RunawayRefund

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
FEE = 20


def _insured_runaway_order():
    product = runaway_product()
    set_score(product.shop, 850)
    fund_pool(5000)
    order = settled(product, insure=True)
    drain_available(product.shop_id)
    return product, order


def _declare(product):
    staff = make_user(staff_role="risk")
    runaway.shop_freeze(shop_id=product.shop_id, reason="失联", actor=staff)
    runaway_disposal.runaway_declare(shop_id=product.shop_id, actor=staff, reason="跑路", notice="", confirm_name=product.shop.name)
    return RunawayRefund.objects.get(disposal__shop_id=product.shop_id)


def test_two_executions_of_one_runaway_refund_pay_the_claim_once():
    product, order = _insured_runaway_order()
    job = _declare(product)
    results = together(lambda: runaway_disposal.runaway_refund_job(job_id=job.pk), lambda: runaway_disposal.runaway_refund_job(job_id=job.pk))
    assert sorted(str(r) for r in results) == ["done", "noop"], results
    assert Claim.objects.filter(order=order).count() == 1
    assert balance_of(POOL) == 5000 + 20 - (1000 - FEE)
    assert ledger_clean()


def test_a_runaway_refund_racing_a_decision_pays_one_claim():
    product, order = _insured_runaway_order()
    job = _declare(product)

    def decision():
        from django.db import transaction

        with transaction.atomic():
            order_services.order_lock(order.pk)
            return order_services.order_refund(order_id=order.pk, amount=1000, reason="decision", sources=("confirmed",), key="case:decision:1")

    results = together(lambda: runaway_disposal.runaway_refund_job(job_id=job.pk), decision)
    assert Order.objects.get(pk=order.pk).refunded_amount == 1000, results
    assert Claim.objects.filter(order=order).count() == 1 and Claim.objects.get(order=order).amount == 1000 - FEE
    assert balance_of(POOL) == 5000 + 20 - (1000 - FEE)
    assert balance_of(f"merchant:{product.shop_id}:pool_debt") == 1000 - FEE
    assert ledger_clean()
