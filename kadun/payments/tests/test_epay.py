"""易支付 against the offline panel: the MD5 signature (known answer over the documented
example's parameters), notifications by POST (HTTP) and GET-shaped parameters (the service),
the query-back that alone lets a payment be credited, and every forged, mismatched, unconfirmed
or replayed notification refused with nothing changed."""
from __future__ import annotations

import hashlib

import pytest

from conftest import buy, make_product
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.states import OrderStatus
from kadun.payments.errors import BadNotification
from kadun.payments.providers import epay as epay_provider
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.fakes_epay import KEY
from kadun.payments.tests.gateway_fixtures import books, epay, post_notify, refused  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def paid_order(fake, price=1010):
    product = make_product(keys=3, price=price)
    order, _token, pay_url = buy(product, provider="epay")
    fake.open(pay_url)
    fake.pay(order.payment.out_trade_no)
    return order


def test_md5_known_answer_over_the_documented_example():
    """彩虹易支付's documented submit.php example: sorted, empty values and sign/sign_type left out, KEY appended."""
    params = {"pid": "1001", "type": "alipay", "out_trade_no": "20160806151343349", "notify_url": "http://www.pay.com/notify_url.php",
              "return_url": "http://www.pay.com/return_url.php", "name": "VIP会员", "money": "1.00", "sitename": "",
              "sign_type": "MD5", "sign": "whatever"}
    literal = ("money=1.00&name=VIP会员&notify_url=http://www.pay.com/notify_url.php&out_trade_no=20160806151343349"
               "&pid=1001&return_url=http://www.pay.com/return_url.php&type=alipay") + KEY
    assert epay_provider.content(params) + KEY == literal
    assert epay_provider.sign(params, KEY) == hashlib.md5(literal.encode()).hexdigest()


def test_a_valid_notification_delivers_once(epay):  # noqa: F811
    order = paid_order(epay)
    assert post_notify("epay", epay.notification(order.payment.out_trade_no)) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.keys.count() == 1
    assert balance_of(codes.escrow(order.pk)) == 1010
    queries = [c for c in epay.server.calls if c[2].get("act") == "order"]
    assert len(queries) == 1  # the query-back was asked before anything was delivered
    for _ in range(10):
        assert post_notify("epay", epay.notification(order.payment.out_trade_no)) == (200, "success")
    assert order.keys.count() == 1 and balance_of(codes.escrow(order.pk)) == 1010
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1


def test_a_get_notification_goes_through_the_same_checks(epay):  # noqa: F811
    """易支付 panels notify by GET as often as by POST: the query string gets the same checks."""
    import urllib.parse

    from django.test import Client

    order = paid_order(epay)
    query = urllib.parse.urlencode(epay.notification(order.payment.out_trade_no))
    first = Client().get(f"/pay/notify/epay/?{query}")
    assert (first.status_code, first.content) == (200, b"success")
    forged = dict(epay.notification(order.payment.out_trade_no), sign="0" * 32)
    assert Client().get("/pay/notify/epay/?" + urllib.parse.urlencode(forged)).status_code == 400
    assert Client().get(f"/pay/notify/epay/?{query}").status_code == 200  # a replay is absorbed
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.keys.count() == 1
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1


@pytest.mark.parametrize("overrides,code", [
    ({"sign": "0" * 32}, "bad_signature"),
    ({"pid": "1002"}, "merchant_mismatch"),
    ({"money": "10.11"}, "amount_mismatch"),
    ({"money": "10.09"}, "amount_mismatch"),
    ({"money": "10.101"}, "malformed_amount"),
    ({"trade_status": "TRADE_CLOSED"}, "not_paid"),
    ({"out_trade_no": "P20261201000000UNKNOWN"}, "unknown_payment"),
    ({"trade_no": "2026ffffffffffffffff"}, "not_confirmed"),
])
def test_a_bad_notification_is_refused_and_changes_nothing(epay, overrides, code):  # noqa: F811
    order = paid_order(epay)
    before = books(order)
    assert refused("epay", epay.notification(order.payment.out_trade_no, **overrides)) == code
    assert books(order) == before and before[0] == PaymentStatus.PENDING


def test_a_signed_notification_the_panel_does_not_confirm_is_refused(epay):  # noqa: F811
    """A correctly signed notification (a leaked key, or a replay from another order) for a trade
    the panel says is unpaid: refused, nothing credited."""
    product = make_product(keys=2, price=1010)
    order, _t, pay_url = buy(product, provider="epay")
    epay.open(pay_url)  # opened, never paid
    before = books(order)
    assert refused("epay", epay.notification(order.payment.out_trade_no)) == "not_confirmed"
    assert books(order) == before
    epay.pay(order.payment.out_trade_no)
    assert post_notify("epay", epay.notification(order.payment.out_trade_no)) == (200, "success")


def test_the_panel_confirming_another_amount_is_refused(epay):  # noqa: F811
    order = paid_order(epay)
    epay.trades[order.payment.out_trade_no]["money"] = "10.11"  # the panel's books say otherwise
    before = books(order)
    params = epay.notification(order.payment.out_trade_no, money="10.10")
    assert refused("epay", params) == "not_confirmed"
    assert books(order) == before


def test_an_unreachable_panel_refuses_so_the_gateway_retries(epay, settings):  # noqa: F811
    order = paid_order(epay)
    before = books(order)
    params = epay.notification(order.payment.out_trade_no)
    settings.KADUN_EPAY_API_BASE = "http://127.0.0.1:9"  # nothing listens
    assert refused("epay", params) == "query_failed"
    assert books(order) == before


def test_query(epay):  # noqa: F811
    product = make_product(keys=1, price=1010)
    order, _t, pay_url = buy(product, provider="epay")
    impl = epay_provider.provider
    assert impl.query(payment=order.payment).status == "pending"
    epay.open(pay_url)
    epay.pay(order.payment.out_trade_no)
    assert impl.query(payment=order.payment).status == "paid"


def test_a_bad_signature_never_reaches_the_panel(epay):  # noqa: F811
    order = paid_order(epay)
    with pytest.raises(BadNotification):
        epay_provider.provider.verify_notification(epay.notification(order.payment.out_trade_no, sign="f" * 32))
    assert not [c for c in epay.server.calls if c[2].get("act") == "order"]


def test_an_enabled_gateway_without_its_keys_fails_the_system_check(settings):
    from kadun.payments.checks import gateways_configured

    settings.KADUN_PAYMENT_PROVIDERS = ["epay", "wallet"]
    settings.KADUN_EPAY_PID, settings.KADUN_EPAY_KEY, settings.KADUN_EPAY_API_BASE = "1001", "", "https://pay.example.com"
    errors = gateways_configured()
    assert [e.id for e in errors] == ["kadun.E010"] and "KADUN_EPAY_KEY" in errors[0].msg
    settings.KADUN_EPAY_KEY = KEY
    assert gateways_configured() == []
