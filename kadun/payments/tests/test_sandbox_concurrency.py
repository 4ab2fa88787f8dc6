"""Real threads against PostgreSQL on the sandbox pay page: 确认支付 and 模拟支付失败 clicked at
the same moment (two tabs, a double click) change the trade once each way it may change — a
failure may still be paid, a payment is final — and the order is paid exactly once."""
import pytest
from django.test import Client

from conftest import buy, make_product
from kadun.ledger.models import JournalEntry
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment, SandboxTrade
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.test_concurrency import all_at_once

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
TRIALS = 20


def test_pay_and_fail_clicked_together_end_paid_once():
    product = make_product(keys=TRIALS, price=4850)
    for _trial in range(TRIALS):
        order, _token, _url = buy(product)
        page = f"/pay/sandbox/{order.payment.out_trade_no}/"
        answers = all_at_once(lambda action, page=page: Client().post(page, {"action": action}).status_code, ["pay", "fail"] * 3)
        assert answers == [302] * 6
        outbox_deliver_all()
        assert SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no).status == "paid"
        assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
        assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
        assert JournalEntry.objects.filter(kind="payment", ref_type="order", ref_id=order.pk).count() == 1
