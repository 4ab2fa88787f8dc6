"""A buyer without a shop creates a buyer API key on a phone (390 px): the page is reached from
我的订单, offers buyer scopes only, shows the secret once and fits the screen."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"


def test_a_buyer_creates_a_buyer_key_on_a_phone(live_kadun, phone):
    base, page = live_kadun["base"], phone
    page.goto(base + "/login/")
    page.fill("#id_username", "demo-buyer")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=demo-buyer")
    page.goto(base + "/orders/mine/")
    page.click("#my-api-keys a")
    page.wait_for_url(base + "/account/api-keys/")
    offered = page.eval_on_selector_all("input[name=scopes]", "els => els.map(e => e.value)")
    assert offered == ["buyer", "buyer:read"]
    page.fill("#id_name", "下单脚本")
    page.get_by_role("button", name="创建密钥").click()
    page.wait_for_selector("#new-api-key-secret")
    assert page.inner_text("#new-api-key-secret").startswith("kd_")
    page.screenshot(path=str(live_kadun["var"] / "account-api-keys-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.reload()
    assert page.query_selector("#new-api-key-secret") is None
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(live_kadun["var"] / "account-api-keys-1280.png"), full_page=True)
