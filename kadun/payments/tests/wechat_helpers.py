"""Fixtures shared by the WeChat Pay tests: the fake gateway, its settings, a paid-able order."""
import pytest
from django.test import Client

from conftest import buy
from kadun.core import clock
from kadun.payments.tests.fakes import wechat as fake

NOTIFY = "/pay/notify/wechatpay/"
PROVIDERS = ["sandbox", "wallet", "wechatpay", "wechatpay_h5", "epusdt"]


@pytest.fixture
def gateway(settings):
    server = fake.FakeWechat()
    fake.configure(settings, base_url=server.url)
    settings.KADUN_PAYMENT_PROVIDERS = PROVIDERS
    yield server
    server.close()


def now_ts() -> int:
    return int(clock.now().timestamp())


def post(body: bytes, headers: dict, path: str = NOTIFY):
    response = Client().post(path, data=body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def wechat_order(product, provider="wechatpay"):
    order, _, pay_url = buy(product, provider=provider)
    return order, pay_url
