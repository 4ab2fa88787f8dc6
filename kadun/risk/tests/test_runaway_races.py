"""Two sweepers on one runaway disposal at once (threads, PostgreSQL): each order refunded exactly
once, the ledger clean."""
from __future__ import annotations

import pytest

from conftest import make_product, make_user, together
from kadun.deadlines.services import deadlines_sweep_all
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.payments.models import Refund
from kadun.risk import runaway_disposal
from kadun.risk.models import RunawayRefund
from kadun.risk.tests.runaway_helpers import confirmed, delivered

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_two_sweepers_refund_each_order_exactly_once(settings):
    settings.KADUN_SWEEP_BATCH = 3
    product = make_product(keys=12, price=1000)
    orders = [delivered(product) for _ in range(8)] + [confirmed(product) for _ in range(4)]
    disposal = runaway_disposal.runaway_declare(
        shop_id=product.shop_id, actor=make_user(staff_role="risk"), reason="跑路", notice="", confirm_name=product.shop.name,
    )
    assert disposal.orders_total == 12

    results = together(deadlines_sweep_all, deadlines_sweep_all)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) >= 12
    for order in orders:
        assert Order.objects.get(pk=order.pk).status == "refunded"
        assert Refund.objects.filter(order_id=order.pk).count() == 1
    assert RunawayRefund.objects.filter(disposal=disposal, status="refunded").count() == 12
    assert balance_of("external:sandbox") == 0  # paid 12 000 in, 12 000 refunded
