"""WeChat Pay v3 calls against the fake gateway: query, refund (once under retries, by
out_refund_no), 商家转账 payouts (once per out_bill_no)."""
import pytest
from django.db import transaction

from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.notifications.services import outbox_deliver_all
from kadun.payments import services as payments
from kadun.payments.models import Refund
from kadun.payments.providers import wechatpay, wechatpay_payout
from kadun.payments.providers.base import PayoutRequest
from kadun.payments.states import RefundStatus
from kadun.payments.tests.wechat_helpers import gateway, now_ts, post, wechat_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(product, gateway):  # noqa: F811
    order, _ = wechat_order(product)
    gateway.pay(order.payment.out_trade_no)
    assert post(*gateway.notification(order.payment.out_trade_no, timestamp=now_ts()))[0] == 200
    order.refresh_from_db()
    return order


def test_query_tells_pending_then_paid(product, gateway):  # noqa: F811
    order, _ = wechat_order(product)
    assert wechatpay.provider.query(payment=order.payment).status == "pending"
    gateway.pay(order.payment.out_trade_no)
    assert wechatpay.provider.query(payment=order.payment).status == "paid"


def test_an_unsigned_gateway_answer_is_not_believed(product, gateway, settings):  # noqa: F811
    order, _ = wechat_order(product)
    settings.KADUN_WECHATPAY_PLATFORM_CERTS = fake_other_cert()
    with pytest.raises(wechatpay.GatewayError):
        wechatpay.provider.query(payment=order.payment)


def fake_other_cert() -> str:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")])
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
            .not_valid_before(at).not_valid_after(at + dt.timedelta(days=3650)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_refund_moves_money_once_under_retries(paid, gateway):  # noqa: F811
    gateway.refund_status = "SUCCESS"  # 零钱: done at once
    with transaction.atomic():
        refund = payments.refund_issue(order=paid, amount=paid.amount, reason="测试退款", key=f"t:{paid.pk}")
    outbox_deliver_all()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_no
    numbers = {wechatpay.provider.refund(refund=refund) for _ in range(5)}  # the outbox retries, a crash resends
    assert numbers == {refund.provider_refund_no}
    trade = gateway.trades[paid.payment.out_trade_no]
    assert trade["refunded"] == paid.amount  # to the 分, once
    assert list(gateway.refunds) == [refund.refund_no]  # out_refund_no is our refund's number
    assert balance_of(codes.escrow(paid.pk)) == 0
    assert Refund.objects.filter(order=paid).count() == 1


def test_a_refund_the_gateway_refuses_for_good_goes_to_staff(paid, gateway):  # noqa: F811
    gateway.trades[paid.payment.out_trade_no]["refunded"] = paid.amount  # already refunded elsewhere
    with transaction.atomic():
        refund = payments.refund_issue(order=paid, amount=paid.amount, reason="测试退款", key=f"t2:{paid.pk}")
    outbox_deliver_all()
    refund.refresh_from_db()
    # 400 INVALID_REQUEST: asking again changes nothing, so staff get it (需人工处理) at once.
    assert (refund.status, refund.attempts, refund.last_error) == (RefundStatus.ATTENTION, 1, "wechatpay:INVALID_REQUEST")
    assert gateway.refunds == {}


def test_a_payout_is_sent_once_per_payout_number(gateway):  # noqa: F811
    request = PayoutRequest(payout_no="W2026120100001", amount=12345, currency="CNY", account_kind="wechat",
                            account_no="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", holder_name="张三")
    first = wechatpay_payout.provider.payout(request=request)
    again = wechatpay_payout.provider.payout(request=request)
    assert first == again and list(gateway.transfers) == ["W2026120100001"]
    assert gateway.transfers["W2026120100001"]["transfer_amount"] == 12345
    assert wechatpay_payout.provider.query_payout(payout_no="W2026120100001") == ("pending", first)
    gateway.transfers["W2026120100001"]["state"] = "SUCCESS"
    assert wechatpay_payout.provider.query_payout(payout_no="W2026120100001") == ("succeeded", first)
    assert wechatpay_payout.provider.query_payout(payout_no="W2026120199999") == ("unknown", "")
