"""Alipay open platform against the offline fake: RSA2 signing (a known answer computed by hand
from the key's numbers), the page chosen by device, notifications delivered once and every
forged, mismatched or replayed one refused or absorbed with nothing changed, the query, and
the signature on synchronous answers."""
from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import buy, make_product
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.orders.states import OrderStatus
from kadun.payments.errors import BadNotification
from kadun.payments.providers import alipay as alipay_provider
from kadun.payments.providers.alipay_sign import notify_content, request_content, rsa2_sign
from kadun.payments.providers.gateway_http import amount_fen
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.fakes_alipay import key_pair
from kadun.payments.tests.gateway_fixtures import alipay, books, post_notify, refused  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")


def paid_order(fake, price=1010):
    product = make_product(keys=3, price=price)
    order, _token, pay_url = buy(product, provider="alipay")
    trade = fake.open(pay_url)
    fake.pay(order.payment.out_trade_no)
    return order, trade


def test_rsa2_is_sha256_with_rsa_pkcs1_v15_over_the_sorted_string():
    """Known answer: EMSA-PKCS1-v1_5 built by hand and raised to d mod n gives our signature."""
    private_pem, _ = key_pair("app")
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "c": "中文 &="}
    content = request_content(params)
    assert content == "a=1&b=2&c=中文 &="
    numbers = serialization.load_pem_private_key(private_pem.encode(), None).private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    t = DIGEST_INFO_SHA256 + hashlib.sha256(content.encode()).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    expected = pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")
    assert base64.b64decode(rsa2_sign(content, private_pem)) == expected


def test_notify_content_leaves_out_sign_and_sign_type():
    assert notify_content({"sign": "s", "sign_type": "RSA2", "z": "1", "a": "x y", "e": ""}) == "a=x y&z=1"


@pytest.mark.parametrize("text,fen", [("10.1", 1010), ("10.10", 1010), ("0.01", 1), ("99", 9900), ("0.1", 10)])
def test_amounts_parse_exactly_to_the_fen(text, fen):
    assert amount_fen(text) == fen


@pytest.mark.parametrize("text", ["10.001", "1e3", "-1", "10.", ".5", "", "1,00", " 1.0 0"])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(BadNotification):
        amount_fen(text)


def test_the_page_follows_the_device(alipay):  # noqa: F811
    product = make_product(keys=2, price=500)
    _order, _t, desktop_url = buy(product, provider="alipay")
    assert alipay.open(desktop_url)["product_code"] == "FAST_INSTANT_TRADE_PAY"
    token = alipay_provider.pay_device.set(alipay_provider.device_of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile"))
    try:
        _order, _t, mobile_url = buy(product, provider="alipay")
    finally:
        alipay_provider.pay_device.reset(token)
    trade = alipay.open(mobile_url)  # the fake checks kadun's RSA2 signature
    assert trade["method"] == "alipay.trade.wap.pay" and trade["product_code"] == "QUICK_WAP_WAY"
    assert trade["total_amount"] == "5.00"


def test_a_valid_notification_delivers_once_and_answers_success(alipay):  # noqa: F811
    order, _ = paid_order(alipay)
    assert post_notify("alipay", alipay.notification(order.payment.out_trade_no)) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.keys.count() == 1
    assert balance_of(codes.escrow(order.pk)) == 1010
    for _ in range(10):  # replays, sequential
        assert post_notify("alipay", alipay.notification(order.payment.out_trade_no)) == (200, "success")
    assert order.keys.count() == 1 and balance_of(codes.escrow(order.pk)) == 1010
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1


@pytest.mark.parametrize("overrides,code", [
    ({"sign": base64.b64encode(b"\x01" * 256).decode()}, "bad_signature"),
    ({"app_id": "2021000000009999"}, "app_mismatch"),
    ({"seller_id": "2088000000009999"}, "seller_mismatch"),
    ({"total_amount": "10.11"}, "amount_mismatch"),
    ({"total_amount": "10.09"}, "amount_mismatch"),
    ({"trans_currency": "USD"}, "currency_mismatch"),
    ({"passback_params": "999999"}, "merchant_mismatch"),
    ({"out_trade_no": "P20261201000000UNKNOWN"}, "unknown_payment"),
    ({"sign_type": "RSA"}, "bad_signature"),
    ({"trade_status": "TRADE_PAID_MAYBE"}, "malformed_notification"),
])
def test_a_bad_notification_is_refused_and_changes_nothing(alipay, overrides, code):  # noqa: F811
    order, _ = paid_order(alipay)
    before = books(order)
    params = alipay.notification(order.payment.out_trade_no, **overrides)
    assert refused("alipay", params) == code
    assert books(order) == before and before[0] == PaymentStatus.PENDING


def test_a_tampered_field_breaks_alipays_signature(alipay):  # noqa: F811
    order, _ = paid_order(alipay)
    before = books(order)
    params = alipay.notification(order.payment.out_trade_no)
    params["total_amount"] = "0.01"  # changed after Alipay signed
    assert refused("alipay", params) == "bad_signature"
    assert books(order) == before


@pytest.mark.parametrize("status", ["WAIT_BUYER_PAY", "TRADE_CLOSED"])
def test_unpaid_statuses_are_absorbed_without_change(alipay, status):  # noqa: F811
    order, _ = paid_order(alipay)
    before = books(order)
    assert post_notify("alipay", alipay.notification(order.payment.out_trade_no, trade_status=status)) == (200, "success")
    assert books(order) == before and before[0] == PaymentStatus.PENDING


def test_trade_finished_also_pays(alipay):  # noqa: F811
    order, _ = paid_order(alipay)
    assert post_notify("alipay", alipay.notification(order.payment.out_trade_no, trade_status="TRADE_FINISHED")) == (200, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_query_reads_the_signed_answer(alipay):  # noqa: F811
    product = make_product(keys=1, price=1010)
    order, _t, pay_url = buy(product, provider="alipay")
    impl = alipay_provider.provider
    assert impl.query(payment=order.payment).status == "pending"  # the buyer never opened the cashier
    alipay.open(pay_url)
    assert impl.query(payment=order.payment).status == "pending"
    alipay.pay(order.payment.out_trade_no)
    assert impl.query(payment=order.payment).status == "paid"


def test_a_forged_synchronous_answer_is_not_believed(alipay, monkeypatch):  # noqa: F811
    order, _ = paid_order(alipay)
    real = alipay._answer

    def forged(method, response):
        doc = json.loads(real(method, response))
        key = method.replace(".", "_") + "_response"
        doc[key]["trade_status"] = "TRADE_SUCCESS" if doc[key].get("trade_status") != "TRADE_SUCCESS" else "TRADE_CLOSED"
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    monkeypatch.setattr(alipay, "_answer", forged)
    with pytest.raises(alipay_provider.GatewayError):
        alipay_provider.provider.query(payment=order.payment)


def test_the_pay_url_carries_a_signature_over_every_parameter(alipay):  # noqa: F811
    product = make_product(keys=1, price=1234)
    _order, _t, pay_url = buy(product, provider="alipay")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay_url).query))
    assert params["sign_type"] == "RSA2" and params["app_id"] == "2021000000000001" and params["notify_url"].endswith("/pay/notify/alipay/")
    params["biz_content"] = params["biz_content"].replace("12.34", "0.01")
    with pytest.raises(AssertionError):
        alipay.open(pay_url.split("?")[0] + "?" + urllib.parse.urlencode(params))
