"""USDT-TRC20 through epusdt: the signed JSON callback pays exactly the USDT frozen at creation."""
import json
from decimal import Decimal

import pytest
from django.test import Client

from conftest import buy
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.states import OrderStatus
from kadun.payments.models import UsdtTrade
from kadun.payments.providers import epusdt
from kadun.payments.tests.fakes import epusdt as fake
from kadun.payments.tests.test_notify import snapshot

pytestmark = pytest.mark.django_db
NOTIFY = "/pay/notify/epusdt/"


@pytest.fixture
def service(settings):
    server = fake.FakeEpusdt()
    fake.configure(settings, base_url=server.url)
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet", "epusdt"]
    yield server
    server.close()


@pytest.fixture
def order(product, service):
    order, _, _ = buy(product, provider="epusdt")
    return order


def post(body: bytes):
    response = Client().post(NOTIFY, data=body, content_type="application/json")
    return response.status_code, response.content.decode()


def test_the_documented_signature_example():
    """epusdt's API docs: these four parameters and this token sign to this value."""
    params = {"order_id": "20220201030210321", "amount": 42, "notify_url": "http://example.com/notify",
              "redirect_url": "http://example.com/redirect"}
    assert epusdt.sign(params, "epusdt_password_xasddawqe") == "1cd4b52df5587cfb1968b0c0c6e156cd"


def test_empty_values_and_the_signature_are_not_signed():
    params = {"a": "1", "b": "", "signature": "zzz"}
    assert epusdt.sign(params, "t") == epusdt.sign({"a": "1"}, "t")


def test_checkout_freezes_the_rate_and_the_usdt_amount(order, service):
    trade = UsdtTrade.objects.get(out_trade_no=order.payment.out_trade_no)
    assert trade.rate == Decimal("7.2")
    assert trade.usdt_amount == (Decimal(order.amount) / 100 / Decimal("7.2")).quantize(Decimal("0.01"), rounding="ROUND_UP")
    assert order.payment.pay_url.startswith(service.url)


def test_a_valid_callback_delivers_once_and_answers_ok(order, service):
    assert post(service.callback(order.payment.out_trade_no)) == (200, "ok")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and balance_of(codes.escrow(order.pk)) == order.amount


def test_a_rate_changed_after_checkout_does_not_change_what_is_owed(order, service, settings):
    settings.KADUN_EPUSDT_RATE = "6.5"
    assert post(service.callback(order.payment.out_trade_no)) == (200, "ok")


def test_a_forged_signature_changes_nothing(order, service):
    before = snapshot(order)
    assert post(service.callback(order.payment.out_trade_no, token="guessed")) == (400, "fail")
    assert snapshot(order) == before


@pytest.mark.parametrize("delta", ["0.01", "-0.01"])
def test_usdt_one_cent_off_changes_nothing(order, service, delta):
    before = snapshot(order)
    owed = UsdtTrade.objects.get(out_trade_no=order.payment.out_trade_no).usdt_amount
    assert post(service.callback(order.payment.out_trade_no, actual_amount=owed + Decimal(delta))) == (400, "fail")
    assert snapshot(order) == before


@pytest.mark.parametrize("delta", [1, -1])
def test_a_cny_amount_one_fen_off_changes_nothing(order, service, delta):
    before = snapshot(order)
    amount = (Decimal(order.amount + delta) / 100).normalize()
    assert post(service.callback(order.payment.out_trade_no, amount=amount)) == (400, "fail")
    assert snapshot(order) == before


def test_another_coin_changes_nothing(order, service):
    """BEpusdt's trade_type: the same number of TRX is not the same money."""
    before = snapshot(order)
    assert post(service.callback(order.payment.out_trade_no, trade_type="tron.trx")) == (400, "fail")
    assert snapshot(order) == before


def test_an_unknown_trade_changes_nothing(order, service):
    before = snapshot(order)
    assert post(service.callback("P20261201000000DEADBEEF00")) == (400, "fail")
    assert snapshot(order) == before


def test_an_unpaid_or_expired_status_delivers_nothing(order, service):
    for status in (1, 3):
        assert post(service.callback(order.payment.out_trade_no, status=status)) == (200, "ok")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT and balance_of(codes.escrow(order.pk)) == 0


def test_a_body_that_is_not_json_changes_nothing(order, service):
    before = snapshot(order)
    assert post(b"order_id=1&status=2") == (400, "fail")
    assert snapshot(order) == before


def test_ten_sequential_replays_deliver_once(order, service):
    body = service.callback(order.payment.out_trade_no)
    assert [post(body) for _ in range(10)] == [(200, "ok")] * 10  # absorbed: epusdt retries until it reads ok
    after = snapshot(order)
    assert after["order"] == OrderStatus.DELIVERED and after["escrow"] == order.amount and after["sold"] == 1


def test_the_callback_is_json_with_numbers(order, service):
    data = json.loads(service.callback(order.payment.out_trade_no))
    assert isinstance(data["status"], int) and not isinstance(data["actual_amount"], str)


def test_the_deploy_check_refuses_a_gateway_without_its_keys(settings):
    from kadun.payments.checks import gateways_configured

    settings.KADUN_PAYMENT_PROVIDERS = ["wallet", "epusdt"]
    settings.KADUN_EPUSDT_TOKEN = ""
    assert [e.id for e in gateways_configured()] == ["kadun.E010"]
    settings.KADUN_EPUSDT_TOKEN, settings.KADUN_EPUSDT_BASE_URL = "t", "http://127.0.0.1:1"
    assert gateways_configured() == []
