"""Real threads against PostgreSQL: ten copies of one gateway notification at once deliver once.

WeChat: ten copies of the same bytes (one nonce) — one is applied, nine lose the nonce's unique
constraint; ten retries with fresh nonces — all answered, one delivery. epusdt: ten copies —
all answered ok, one delivery. Balances to the 分."""
import pytest
from django.test import Client

from conftest import all_at_once, buy
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.states import OrderStatus
from kadun.payments.providers import wechatpay
from kadun.payments.tests.fakes import epusdt as fake_epusdt
from kadun.payments.tests.test_notify import snapshot
from kadun.payments.tests.wechat_helpers import gateway, now_ts, post, wechat_order  # noqa: F401 (fixture)

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
OK = (200, {"code": "SUCCESS", "message": "成功"})
FAIL = (400, {"code": "FAIL", "message": "失败"})


@pytest.fixture
def order(product, gateway):  # noqa: F811
    order, _ = wechat_order(product)
    gateway.pay(order.payment.out_trade_no)
    return order


def delivered_once(order):
    after = snapshot(order)
    assert after["order"] == OrderStatus.DELIVERED
    assert after["escrow"] == order.amount and after["sold"] == 1
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1


def test_ten_concurrent_copies_of_one_wechat_notification_deliver_once(order, gateway):  # noqa: F811
    body, headers = gateway.notification(order.payment.out_trade_no, timestamp=now_ts())
    answers = all_at_once(lambda _: post(body, headers), range(10))
    assert sorted(a[0] for a in answers) == [200] + [400] * 9
    delivered_once(order)


def test_ten_concurrent_wechat_retries_with_fresh_nonces_deliver_once(order, gateway):  # noqa: F811
    copies = [gateway.notification(order.payment.out_trade_no, timestamp=now_ts()) for _ in range(10)]
    assert all_at_once(lambda copy: post(*copy), copies) == [OK] * 10
    delivered_once(order)


def test_concurrent_refund_calls_refund_once_at_the_gateway(order, gateway):  # noqa: F811
    from django.db import transaction

    from kadun.payments import services as payments

    assert post(*gateway.notification(order.payment.out_trade_no, timestamp=now_ts())) == OK
    order.refresh_from_db()
    with transaction.atomic():
        refund = payments.refund_issue(order=order, amount=order.amount, reason="测试退款", key=f"c:{order.pk}")
    numbers = all_at_once(lambda _: wechatpay.provider.refund(refund=refund), range(5))
    assert len(set(numbers)) == 1
    assert gateway.trades[order.payment.out_trade_no]["refunded"] == order.amount
    assert balance_of(codes.escrow(order.pk)) == 0


def test_ten_concurrent_copies_of_one_epusdt_callback_deliver_once(product, settings):
    service = fake_epusdt.FakeEpusdt()
    fake_epusdt.configure(settings, base_url=service.url)
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet", "epusdt"]
    try:
        order, _, _ = buy(product, provider="epusdt")
        body = service.callback(order.payment.out_trade_no)

        def send(_):
            response = Client().post("/pay/notify/epusdt/", data=body, content_type="application/json")
            return response.status_code, response.content.decode()

        assert all_at_once(send, range(10)) == [(200, "ok")] * 10
        delivered_once(order)
    finally:
        service.close()
