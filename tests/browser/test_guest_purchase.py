"""A guest buys a game card on a phone, pays in the sandbox, and reveals the key."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser


def _guest_buys_and_pays(page, base: str) -> tuple[str, str]:
    """Storefront → product → checkout as a guest → sandbox gateway → back on the order page,
    delivered. Returns (order number, access link)."""
    page.goto(base + "/")
    page.get_by_text("网易一卡通 50元 点卡").click()
    assert "退款规则" in page.inner_text("#refund-policy")
    page.fill("#id_quantity", "1")
    page.fill("#id_contact", "guest@example.com")
    page.fill("#id_query_password", "chaxun-123")
    # 7天无理由 is excluded for this card: the browser will not submit without the buyer's tick.
    page.get_by_role("button", name="提交订单").click()
    assert page.evaluate("document.querySelector('#id_no_reason_waived').validity.valueMissing")
    assert page.query_selector("#access-link") is None
    page.check("#id_no_reason_waived")
    page.get_by_role("button", name="提交订单").click()

    page.wait_for_selector("#access-link")
    order_no = page.inner_text("#order-no").strip()
    access_link = page.inner_text("#access-link").strip()
    assert "/o/" in access_link and order_no not in access_link
    page.click("#go-pay")

    page.wait_for_selector("#sandbox-pay")
    assert "48.50" in page.content()
    page.click("#sandbox-pay")

    # Back on the order page: htmx polls until the signed notification has been processed.
    page.wait_for_url(re.compile(rf"/orders/{order_no}/$"))
    page.wait_for_selector("[data-status=delivered]", timeout=15000)
    return order_no, access_link


def test_guest_buys_pays_in_sandbox_and_reveals_the_key(live_kadun, phone):
    base = live_kadun["base"]
    page = phone
    order_no, access_link = _guest_buys_and_pays(page, base)
    assert "平台担保中" in page.content()
    masked = page.inner_text("#keys .key")
    assert "WY50-" not in masked

    page.get_by_role("button", name="查看卡密").click()
    revealed = page.wait_for_selector(".key.revealed")
    key = revealed.inner_text().strip()
    assert re.fullmatch(r"WY50-[0-9A-F]{8}-[0-9A-F]{8}", key)
    assert "首次查看" in page.inner_text("#keys")
    page.screenshot(path=str(live_kadun["var"] / "guest-reveal.png"), full_page=True)

    # The layout fits a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A fresh browser with the order number alone sees nothing; the access link opens it.
    other = page.context.browser.new_context()
    p2 = other.new_page()
    assert p2.goto(f"{base}/orders/{order_no}/").status == 404
    p2.goto(access_link)
    p2.wait_for_selector("[data-status=delivered]")
    assert key not in p2.content()  # masked until revealed again
    other.close()

    # The books are clean after the whole flow, as the operator's command sees them.
    check = subprocess.run([sys.executable, "-m", "kadun.cli", "ledger-check"], env=live_kadun["env"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_guest_with_an_unrevealed_key_gets_a_one_click_refund(live_kadun, phone):
    base = live_kadun["base"]
    page = phone
    order_no, _ = _guest_buys_and_pays(page, base)
    page.click("#instant-refund-open")  # irreversible: asked first
    page.click("#instant-refund")
    page.wait_for_selector("[data-status=refunded]")
    text = page.inner_text("main")
    assert "依据退款规则第1条" in text
    assert "已退款，卡密作废" in text
    assert page.query_selector("[data-refund-status=approved]") is not None
    assert page.query_selector("#instant-refund") is None  # nothing left to refund
    # The frozen rules and their hash are on the order page.
    assert re.fullmatch(r"[0-9a-f]{64}", page.text_content("#policy-hash").strip())
    page.screenshot(path=str(live_kadun["var"] / "guest-refund.png"), full_page=True)
    check = subprocess.run([sys.executable, "-m", "kadun.cli", "ledger-check"], env=live_kadun["env"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
