"""A merchant on a phone (390 px) reaches 通知设置 from the merchant navigation, adds a webhook,
sees the generated signing secret once, sends a test message that a real receiver gets signed,
and reads 已送达 in the delivery log; the page fits the screen at 390 and 1280 px."""
from __future__ import annotations

import time

import pytest

from kadun.notifications.senders import webhook_signature
from kadun.notifications.tests.servers import Server

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"


@pytest.fixture
def receiver():
    server = Server()
    yield server
    server.stop()


def test_a_merchant_adds_a_webhook_and_tests_it_on_a_phone(live_kadun, phone, receiver):
    base, page = live_kadun["base"], phone
    page.goto(base + "/login/")
    page.fill("#id_username", "demo-merchant")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=demo-merchant")
    page.goto(base + "/merchant/")
    page.click("#nav-notify")
    page.wait_for_url(base + "/account/notifications/")
    assert "merchant@example.com" in page.inner_text("#email-settings")

    page.click("#add-webhook summary")
    page.fill("#id_webhook-label", "订单机器人")
    page.fill("#id_webhook-url", receiver.base + "/kadun/hook")
    page.click("#add-webhook button[type=submit]")
    page.wait_for_selector("#new-webhook-secret")
    secret = page.inner_text("#new-webhook-secret .secret-link").strip()
    assert len(secret) >= 32

    page.get_by_role("button", name="发送测试").click()
    page.wait_for_selector(".flash")
    for _ in range(50):  # the in-process worker sends the outbox every 0.2 s
        if receiver.seen:
            break
        time.sleep(0.1)
    [call] = receiver.seen
    assert call["path"] == "/kadun/hook"
    assert call["headers"]["X-Kadun-Signature"] == webhook_signature(secret, call["headers"]["X-Kadun-Timestamp"], call["raw"])
    for _ in range(30):
        page.reload()
        if page.query_selector("#delivery-log .delivery-sent"):
            break
        time.sleep(0.2)
    assert "已送达" in page.inner_text("#delivery-log")
    assert secret not in page.content()
    page.screenshot(path=str(live_kadun["var"] / "notify-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#add-telegram summary")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(live_kadun["var"] / "notify-1280.png"), full_page=True)
    print("screenshots in", live_kadun["var"])
