"""The order page's payment box while the order waits: the WeChat Native QR code inline, the USDT
amount, frozen rate and address with a QR code, 去支付 for page gateways; the buyer's device and
IP reach the gateway at checkout and at a switch; the API's 换一种支付方式."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import buy, make_product, make_user
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.ledger.services import entry_post
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import UsdtTrade
from kadun.payments.tests.fakes import epusdt as fake_epusdt
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.multipay_helpers import guest_client, payments, switch
from kadun.payments.tests.wechat_helpers import gateway  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@pytest.fixture
def usdt(settings, gateway):  # noqa: F811
    server = fake_epusdt.FakeEpusdt()
    fake_epusdt.configure(settings, base_url=server.url)
    yield server
    server.close()


def test_the_order_page_shows_the_wechat_native_qr_code_inline(gateway):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    switch(client, order, "wechatpay")
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="pay-qr"' in page and "<svg" in page and "当前支付方式：微信支付" in page
    assert 'id="pay-deadline"' in page  # the countdown stays
    assert 'value="sandbox"' in page and 'value="wechatpay"' not in page  # the others are offered


def test_the_order_page_shows_the_usdt_amount_rate_and_address(usdt):
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    switch(client, order, "epusdt")
    trade = UsdtTrade.objects.get(out_trade_no=payments(order)[1].out_trade_no)
    assert trade.address == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" and trade.payment_url.startswith(usdt.url)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert f"{trade.usdt_amount} USDT (TRC20)" in page and "1 USDT = ¥7.2" in page
    assert trade.address in page and 'id="pay-qr"' in page


def test_a_page_gateway_keeps_the_pay_button_and_no_qr_code(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    switch(client, order, "alipay")
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'id="go-pay"' in page and 'id="pay-qr"' not in page and "当前支付方式：支付宝" in page


def test_the_created_page_offers_the_switch(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    page = client.get(f"/orders/{order.order_no}/created/").content.decode()
    assert 'id="pay-switch"' in page and 'value="alipay"' in page and 'value="wallet"' not in page


def test_a_phone_at_checkout_gets_alipays_mobile_page(alipay):  # noqa: F811
    product = make_product(keys=1)
    client = Client(HTTP_USER_AGENT=IPHONE)
    client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "g@example.com", "query_password": "chaxun123",
                                          "no_reason_waived": "on", "pay_with": "alipay"})
    order = Order.objects.get(product=product)
    assert alipay.open(order.payment.pay_url)["method"] == "alipay.trade.wap.pay"


def test_a_switch_from_a_desktop_gets_alipays_computer_page(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    switch(client, order, "alipay", HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0")
    assert alipay.open(payments(order)[1].pay_url)["method"] == "alipay.trade.page.pay"


def test_a_switch_to_wechat_h5_sends_the_buyers_ip(gateway):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    client = guest_client(token)
    switch(client, order, "wechatpay_h5", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=IPHONE)
    trade = gateway.trades[payments(order)[1].out_trade_no]
    assert trade["mode"] == "h5" and trade["scene_info"]["payer_client_ip"] == "203.0.113.9"


def test_a_logged_in_buyer_switches_to_the_wallet_and_it_pays_at_once():
    buyer = make_user()
    entry_post(kind="topup", idempotency_key="t1", lines=[(codes.external("sandbox"), -1000), (codes.buyer_wallet(buyer.pk), 1000)],
               ref_type="user", ref_id=buyer.pk)
    order, _t, _ = buy(make_product(keys=1), buyer=buyer, provider="sandbox")
    client = Client()
    client.force_login(buyer, backend="django.contrib.auth.backends.ModelBackend")
    switch(client, order, "wallet")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.payment.provider == "wallet"
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 0 and balance_of(codes.escrow(order.pk)) == 1000


def test_api_switch_answers_the_new_pay_url(alipay):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    response = Client().post(f"/api/orders/{order.order_no}/payment", {"provider": "alipay"}, content_type="application/json",
                             headers={"X-Order-Token": token})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created" and body["pay_url"] == payments(order)[1].pay_url
    assert body["order"]["payment"]["provider"] == "alipay"


@pytest.mark.parametrize(("provider", "status", "code"), [("nope", 400, "provider_unavailable"), ("sandbox", 400, "same_provider"),
                                                          ("wallet", 403, "wallet_needs_account")])
def test_api_switch_refusals_have_stable_codes_and_change_nothing(alipay, provider, status, code):  # noqa: F811
    order, token, _ = buy(make_product(keys=1), provider="sandbox")
    response = Client().post(f"/api/orders/{order.order_no}/payment", {"provider": provider}, content_type="application/json",
                             headers={"X-Order-Token": token})
    assert response.status_code == status and response.json()["code"] == code
    assert len(payments(order)) == 1


def test_api_switch_of_someone_elses_order_is_not_found(alipay):  # noqa: F811
    order, _token, _ = buy(make_product(keys=1), provider="sandbox")
    _, other_token, _ = buy(make_product(keys=1), provider="sandbox")
    response = Client().post(f"/api/orders/{order.order_no}/payment", {"provider": "alipay"}, content_type="application/json",
                             headers={"X-Order-Token": other_token})
    assert response.status_code == 404 and response.json()["code"] == "order_not_found"
    assert len(payments(order)) == 1
