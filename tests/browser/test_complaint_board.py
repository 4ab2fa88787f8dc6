"""The public complaint board (曝光) in Chromium against a real `kadun serve`: the buyer publishes
from the order page at phone width, staff approve in the console, and the board and the
complaint page at 1280 and 390 px (no sideways scrolling, no console errors). The breach that
makes the order eligible is written as a service call in `kadun shell`, as the sweeper would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser
PASSWORD = "kadun-demo-2026"

SEED = PAY + textwrap.dedent('''
    import json
    from kadun.accounts.models import User
    from kadun.catalog.models import Product
    from kadun.merchants.services import breach_record
    from kadun.orders.services import order_create

    buyer = User.objects.get(username="demo-buyer")
    card = Product.objects.get(title__contains="网易")
    order, _, _ = order_create(product_id=card.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True)
    pay(order)
    breach_record(shop_id=order.shop_id, kind="refund_no_response", order_id=order.pk, note="退款申请逾期未处理")
    print(json.dumps({"order": order.order_no}))
''')


def _seed(live_kadun) -> str:
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])["order"]


def _login(context, base: str, username: str):
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text={username}")
    return page


def _shot(live_kadun, page, name: str, width: int) -> None:
    path = Path(os.environ.get("KADUN_SCREENSHOTS") or live_kadun["var"])
    path.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state()
    page.screenshot(path=str(path / f"complaint-{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}px"
    assert page.console_errors == [], (name, page.console_errors)


def test_a_buyer_publishes_staff_approve_and_everyone_reads_it(live_kadun, browser):
    base = live_kadun["base"]
    order_no = _seed(live_kadun)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    buyer = _login(phone, base, "demo-buyer")

    buyer.goto(base + f"/orders/{order_no}/")
    buyer.click("#complaint-new-link")
    expect(buyer.locator("#verified-facts")).to_contain_text("商家违约记录")
    _shot(live_kadun, buyer, "new", 390)
    buyer.fill("#statement", "退款申请提交后商家一直没有处理，直到系统按规则退款。提醒大家留意这家店的售后。")
    buyer.click("#complaint-submit")
    expect(buyer.locator("#complaint-status")).to_have_text("待审核")
    complaint_no = buyer.url.rstrip("/").rsplit("/", 1)[1]

    staff = _login(desk, base, "demo-admin")
    staff.goto(base + "/staff/complaints/")
    staff.click(f"text={complaint_no}")
    expect(staff.locator("#moderation-actions")).to_be_visible()
    _shot(live_kadun, staff, "staff", 1280)
    staff.click("#approve")
    expect(staff.locator("#complaint-status")).to_have_text("已公开")

    anon_desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    anon_desk.console_errors = []
    anon_desk.on("console", lambda m: anon_desk.console_errors.append(m.text) if m.type == "error" else None)
    anon_phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True).new_page()
    anon_phone.console_errors = []
    anon_phone.on("console", lambda m: anon_phone.console_errors.append(m.text) if m.type == "error" else None)
    for page, width in ((anon_desk, 1280), (anon_phone, 390)):
        page.goto(base + "/complaints/")
        expect(page.locator(f"[data-complaint={complaint_no}]")).to_be_visible()
        _shot(live_kadun, page, "board", width)
        page.goto(base + f"/complaints/{complaint_no}/")
        expect(page.locator("#statement")).to_contain_text("商家一直没有处理")
        expect(page.locator("#verified-facts")).not_to_contain_text(order_no)
        _shot(live_kadun, page, "detail", width)
