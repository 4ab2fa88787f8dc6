"""Fixtures for the Alipay and 易支付 tests: the offline gateways, kadun pointed at them, and
helpers that post a notification with the exact bytes a gateway sends."""
from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client

from kadun.ledger.models import JournalEntry
from kadun.payments.models import Payment, Refund
from kadun.payments.tests import fakes_alipay, fakes_epay

PROVIDERS = ["alipay", "epay", "sandbox", "wallet"]


@pytest.fixture
def alipay(settings):
    fake = fakes_alipay.FakeAlipay()
    settings.KADUN_PAYMENT_PROVIDERS = PROVIDERS
    settings.KADUN_ALIPAY_APP_ID, settings.KADUN_ALIPAY_SELLER_ID = fakes_alipay.APP_ID, fakes_alipay.SELLER_ID
    settings.KADUN_ALIPAY_PRIVATE_KEY, settings.KADUN_ALIPAY_PUBLIC_KEY = fake.app_private, fake.alipay_public
    settings.KADUN_ALIPAY_GATEWAY = fake.gateway
    yield fake
    fake.close()


@pytest.fixture
def epay(settings):
    fake = fakes_epay.FakeEpay()
    settings.KADUN_PAYMENT_PROVIDERS = PROVIDERS
    settings.KADUN_EPAY_PID, settings.KADUN_EPAY_KEY, settings.KADUN_EPAY_API_BASE = fakes_epay.PID, fakes_epay.KEY, fake.base
    settings.KADUN_EPAY_REFUND = True
    yield fake
    fake.close()


def post_notify(provider: str, params: dict[str, str]) -> tuple[int, str]:
    """POST the form exactly as the gateway does: urlencoded UTF-8 bytes."""
    body = urllib.parse.urlencode(params).encode()
    response = Client().post(f"/pay/notify/{provider}/", data=body, content_type="application/x-www-form-urlencoded; charset=utf-8")
    return response.status_code, response.content.decode()


def books(order) -> tuple:
    """What a refused or absorbed notification must leave as it was: the payment, the order, the
    number of journal entries and the keys delivered."""
    from kadun.inventory.models import CardKey

    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    return (payment.status, order.status, JournalEntry.objects.count(), CardKey.objects.filter(order_id=order.pk).count(),
            Refund.objects.count())


def refused(provider: str, params: dict[str, str]) -> str:
    """POST the notification (it must be refused: 400, a body starting ``fail``), then ask the
    service directly which check refused it (the answer's body may be only ``fail``)."""
    from kadun.payments.errors import BadNotification
    from kadun.payments.services import notification_handle

    status, text = post_notify(provider, params)
    assert status == 400 and text.startswith("fail"), (status, text)
    try:
        notification_handle(provider=provider, params=params)
    except BadNotification as exc:
        return exc.code
    raise AssertionError("the service accepted what the endpoint refused")
