"""The main pages under the Content-Security-Policy, in a real browser with no internet: zero
violations, nothing fetched from anywhere but kadun itself, and Swagger UI renders at /api/docs."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  (window.__csp = window.__csp || []).push(e.violatedDirective + " " + e.blockedURI);
});
"""

# A refund request of a demo order, waiting for demo-merchant's answer (with its deadline).
SEED = r"""
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from conftest import buy, make_product, pay
from kadun.accounts.models import User
from kadun.aftersales.services import refund_request_create
from kadun.inventory.selectors import keys_of_order
from kadun.inventory.services import key_reveal
from kadun.merchants.selectors import shop_of

shop = shop_of(User.objects.get(username="demo-merchant"))
order, _, _ = buy(make_product(shop, keys=2))
order = pay(order)
key_id = keys_of_order(order)[0]["id"]
key_reveal(order=order, key_id=key_id, actor="guest")
png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
request = refund_request_create(order=order, reason="not_as_described", statement="面值不符", key_ids=[key_id],
                                images=[SimpleUploadedFile("shot.png", png, content_type="image/png")])
print(request.request_no)
"""


@pytest.fixture
def watched(browser, live_kadun):
    """A desktop page that records CSP violations, console errors and any request leaving kadun."""
    base = live_kadun["base"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    seen = {"console": [], "outside": []}
    page.add_init_script(WATCH)
    page.on("console", lambda m: seen["console"].append(m.text) if m.type in ("error", "warning") else None)

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            seen["outside"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.seen = seen
    yield page
    context.close()


def _clean(page) -> None:
    violations = page.evaluate("window.__csp || []")
    csp_console = [t for t in page.seen["console"] if "Content Security Policy" in t or "Content-Security-Policy" in t]
    assert violations == [] and csp_console == [], (page.url, violations, csp_console)
    assert page.seen["outside"] == [], page.seen["outside"]


def _fits_a_phone(page, shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shot), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_buyer_pages_have_no_csp_violations(watched, live_kadun):
    page, base = watched, live_kadun["base"]
    page.goto(base + "/")
    _clean(page)
    page.get_by_text("网易一卡通 50元 点卡").click()
    page.wait_for_selector("#checkout")
    _clean(page)
    page.fill("#id_quantity", "1")
    page.fill("#id_contact", "guest@example.com")
    page.fill("#id_query_password", "chaxun-123")
    page.check("#id_no_reason_waived")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_selector("#go-pay")
    page.click("#go-pay")
    page.wait_for_selector("#sandbox-pay")
    _clean(page)
    page.click("#sandbox-pay")
    page.wait_for_selector("[data-status=delivered]", timeout=15000)  # htmx polled the status
    page.get_by_role("button", name="查看卡密").click()
    page.wait_for_selector(".key.revealed")  # htmx swapped the revealed key in
    _clean(page)


def test_lookup_captcha_has_no_csp_violations(watched, live_kadun):
    page, base = watched, live_kadun["base"]
    for i in range(6):
        page.goto(base + "/orders/lookup/")
        page.fill("#id_order_no", "202601010000009999")
        page.fill("#id_query_password", f"guess-{i}")
        page.get_by_role("button", name="查询").click()
    page.wait_for_selector("img.captcha")
    assert page.evaluate("document.querySelector('img.captcha').naturalWidth") > 0  # drawn here, shown
    _clean(page)
    page.screenshot(path=str(live_kadun["var"] / "lookup-captcha.png"), full_page=True)
    _fits_a_phone(page, live_kadun["var"] / "lookup-captcha-390.png")


def test_merchant_refund_request_with_countdown_has_no_csp_violations(watched, live_kadun):
    env = {**live_kadun["env"], "DJANGO_SETTINGS_MODULE": "kadun.settings"}
    seeded = subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    request_no = seeded.stdout.strip().splitlines()[-1]
    page, base = watched, live_kadun["base"]
    page.goto(base + "/login/")
    page.fill("#id_username", "demo-merchant")
    page.fill("#id_password", "kadun-demo-2026")
    page.get_by_role("button", name=re.compile("登录")).click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"{base}/merchant/refunds/{request_no}/")
    page.wait_for_selector("[data-deadline]")
    assert page.evaluate("!!document.querySelector('script[src$=\"kadun/countdown.js\"]')")
    _clean(page)
    page.goto(base + "/account/api-keys/")
    _clean(page)
    page.screenshot(path=str(live_kadun["var"] / "api-keys.png"), full_page=True)
    _fits_a_phone(page, live_kadun["var"] / "api-keys-390.png")


def test_api_docs_render_swagger_ui_offline(watched, live_kadun):
    page, base = watched, live_kadun["base"]
    page.goto(base + "/api/docs")
    title = page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "kadun API" in title.inner_text()
    page.wait_for_selector(".opblock-tag")  # the operations, from /api/openapi.json
    _clean(page)
