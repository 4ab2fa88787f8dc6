"""WeChat Pay v3: only a genuine, fresh, never-seen, matching notification moves money, once.

Every notification is built by the fake gateway exactly as WeChat builds it (JSON envelope,
resource encrypted with AES-256-GCM, signed with the platform key over the Wechatpay-* headers)
and POSTed to /pay/notify/wechatpay/ with those bytes and headers."""
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.states import OrderStatus
from kadun.payments.models import NotifyNonce, Payment
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.fakes import wechat as fake
from kadun.payments.tests.fakes.wechat import wechat_sign
from kadun.payments.tests.test_notify import snapshot
from kadun.payments.tests.wechat_helpers import gateway, now_ts, post, wechat_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
OK = (200, {"code": "SUCCESS", "message": "成功"})
FAIL = (400, {"code": "FAIL", "message": "失败"})


@pytest.fixture
def order(product, gateway):  # noqa: F811
    order, _ = wechat_order(product)
    gateway.pay(order.payment.out_trade_no)
    return order


def notify(gateway, order, **kw):  # noqa: F811
    kw.setdefault("timestamp", now_ts())
    return post(*gateway.notification(order.payment.out_trade_no, **kw))


def test_checkout_signs_the_create_call_and_shows_the_code_url_as_a_qr_code(product, gateway, client):  # noqa: F811
    order, pay_url = wechat_order(product)
    assert gateway.requests == [("POST", "/v3/pay/transactions/native")]  # the fake verified our Authorization
    page = client.get(pay_url)
    assert page.status_code == 200
    assert b"<svg" in page.content and order.payment.out_trade_no.encode() in page.content


def test_h5_sends_the_buyer_to_the_gateway_page(product, gateway):  # noqa: F811
    order, pay_url = wechat_order(product, provider="wechatpay_h5")
    assert pay_url.startswith("https://wx.tenpay.com/") and order.payment.provider == "wechatpay_h5"


def test_a_valid_notification_delivers_once(order, gateway):  # noqa: F811
    assert notify(gateway, order) == OK
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert balance_of(codes.escrow(order.pk)) == order.amount
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED


def test_the_wechat_public_key_form_verifies_too(product, settings):
    server = fake.FakeWechat(use_public_key=True)
    fake.configure(settings, base_url=server.url, use_public_key=True)
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet", "wechatpay"]
    try:
        order, _ = wechat_order(product)
        server.pay(order.payment.out_trade_no)
        assert notify(server, order) == OK
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED
    finally:
        server.close()


def test_a_forged_signature_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    body, headers = gateway.notification(order.payment.out_trade_no, timestamp=now_ts())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers["wechatpay-signature"] = wechat_sign(other, body, timestamp=int(headers["wechatpay-timestamp"]), nonce=headers["wechatpay-nonce"])
    assert post(body, headers) == FAIL
    assert snapshot(order) == before


def test_a_body_changed_after_signing_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    body, headers = gateway.notification(order.payment.out_trade_no, timestamp=now_ts())
    assert post(body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESX"), headers) == FAIL
    assert snapshot(order) == before


def test_an_unknown_serial_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    body, headers = gateway.notification(order.payment.out_trade_no, timestamp=now_ts())
    headers["wechatpay-serial"] = "0123456789ABCDEF"
    assert post(body, headers) == FAIL
    assert snapshot(order) == before


@pytest.mark.parametrize("field", ["mchid", "appid"])
def test_another_merchant_or_app_changes_nothing(order, gateway, field):  # noqa: F811
    before = snapshot(order)
    assert notify(gateway, order, **{field: "1900009999" if field == "mchid" else "wx0000000000000000"}) == FAIL
    assert snapshot(order) == before


@pytest.mark.parametrize("delta", [1, -1])
def test_an_amount_one_fen_off_changes_nothing(order, gateway, delta):  # noqa: F811
    before = snapshot(order)
    assert notify(gateway, order, amount=order.amount + delta) == FAIL
    assert snapshot(order) == before


def test_another_currency_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    assert notify(gateway, order, currency="USD") == FAIL
    assert snapshot(order) == before


def test_an_unknown_trade_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    body, headers = gateway.notification("P20261201000000DEADBEEF00", timestamp=now_ts(), amount=order.amount)
    assert post(body, headers) == FAIL
    assert snapshot(order) == before


def test_a_resource_encrypted_with_another_key_changes_nothing(order, gateway):  # noqa: F811
    before = snapshot(order)
    assert notify(gateway, order, key="X" * 32) == FAIL
    assert snapshot(order) == before


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_timestamp_five_minutes_and_one_second_off_changes_nothing(order, gateway, skew):  # noqa: F811
    before = snapshot(order)
    assert notify(gateway, order, timestamp=now_ts() + skew) == FAIL
    assert snapshot(order) == before


def test_a_timestamp_five_minutes_old_is_still_fresh(order, gateway):  # noqa: F811
    assert notify(gateway, order, timestamp=now_ts() - 299) == OK


def test_a_trade_not_paid_delivers_nothing(order, gateway):  # noqa: F811
    assert notify(gateway, order, trade_state="PAYERROR") == OK  # told, and recorded as failed
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert balance_of(codes.escrow(order.pk)) == 0


def test_a_reused_nonce_is_refused_even_for_another_trade(product, order, gateway):  # noqa: F811
    assert notify(gateway, order, nonce="n" * 32) == OK
    second, _ = wechat_order(product)
    gateway.pay(second.payment.out_trade_no)
    before = snapshot(second)
    assert notify(gateway, second, nonce="n" * 32) == FAIL
    assert snapshot(second) == before


def test_ten_sequential_replays_of_the_same_bytes_deliver_once(order, gateway):  # noqa: F811
    body, headers = gateway.notification(order.payment.out_trade_no, timestamp=now_ts())
    answers = [post(body, headers) for _ in range(10)]
    assert answers == [OK] + [FAIL] * 9
    after = snapshot(order)
    assert after["order"] == OrderStatus.DELIVERED and after["escrow"] == order.amount and after["sold"] == 1


def test_ten_retries_with_fresh_nonces_are_absorbed(order, gateway):  # noqa: F811
    assert [notify(gateway, order) for _ in range(10)] == [OK] * 10  # WeChat retries with a new nonce
    after = snapshot(order)
    assert after["escrow"] == order.amount and after["sold"] == 1
    assert after["order"] == OrderStatus.DELIVERED


def test_old_nonces_are_purged_after_ten_minutes(order, gateway):  # noqa: F811
    from kadun.payments.deadlines import notify_nonces_purge

    assert notify(gateway, order) == OK
    assert notify_nonces_purge() == 0
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    assert notify_nonces_purge() == 1
    assert not NotifyNonce.objects.exists()


def test_a_notification_by_get_is_refused(order, gateway, client):  # noqa: F811
    assert client.get("/pay/notify/wechatpay/").status_code == 405
