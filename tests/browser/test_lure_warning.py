"""脱离平台交易 in Chromium against a real `kadun serve`, at 1280 px and on a phone (390 px): the
warning under a luring product description and rejection note, for the buyer and the merchant,
and the flags on the risk staff page — shown whole, nothing scrolling sideways."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
WARNING = "脱离平台交易不受担保和售后保护，请勿私下转账"
SEED = PAY + textwrap.dedent('''
    from kadun.accounts.models import User
    from kadun.aftersales.services import refund_request_create, refund_request_respond
    from kadun.catalog import services
    from kadun.catalog.models import Product
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal
    from kadun.orders.services import order_create

    buyer = User.objects.get(username="demo-buyer")
    office = Product.objects.get(title__contains="Office")
    services.product_update(shop=office.shop, product_id=office.pk, data={
        "description": office.description + "\\n批量购买更便宜，加我vx: xinghe_888 私聊，微信支付宝转账9折。"})
    order, _, _ = order_create(product_id=office.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True)
    pay(order)
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="127.0.0.1")
    request = refund_request_create(order=order, reason="not_as_described", statement="激活不了", key_ids=[key.pk])
    refund_request_respond(request=request, shop=office.shop, action="reject",
                           note="激活码经核实可用。要退款请加QQ 2233445566 私下处理，或走闲鱼 https://m.tb.cn/h.5xYz")
    print(office.pk, order.order_no, request.request_no)
''')
SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def seeded(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True, check=True)
    product, order_no, request_no = result.stdout.split()[-3:]
    return {"product": product, "order": order_no, "request": request_no}


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def screen(browser, request):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=width < 500, has_touch=width < 500)
    yield context.new_page()
    context.close()


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text={username}")


def _shows_warning(page, url: str, shot) -> None:
    page.goto(url)
    page.screenshot(path=str(shot), full_page=True)
    warning = page.locator("[data-lure-warning]").first
    assert warning.is_visible() and WARNING in warning.inner_text()
    assert page.evaluate(SIDEWAYS), f"{url} scrolls sideways"


def test_buyer_and_merchant_see_the_warning(live_kadun, seeded, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    width = page.viewport_size["width"]
    _shows_warning(page, base + f"/p/{seeded['product']}/", var / f"lure-product-{width}.png")
    _login(page, base, "demo-buyer")
    _shows_warning(page, base + f"/orders/{seeded['order']}/", var / f"lure-order-{width}.png")
    page.context.clear_cookies()
    _login(page, base, "demo-merchant")
    _shows_warning(page, base + f"/merchant/refunds/{seeded['request']}/", var / f"lure-request-{width}.png")


def test_risk_staff_see_the_flags(live_kadun, seeded, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    _login(page, base, "demo-admin")
    page.goto(base + "/staff/risk/")
    page.screenshot(path=str(var / f"lure-staff-{page.viewport_size['width']}.png"), full_page=True)
    # The live server's database is shared by the browser tests: other tests' messages may be
    # flagged too; this test's two are the seeded merchant's.
    flags = page.locator("#lure-flag-list [data-lure-flag]")
    assert flags.filter(has_text="QQ 2233445566").count() == 1 and flags.filter(has_text="xinghe_888").count() == 1
    text = page.inner_text("#lure-flag-list")
    assert "QQ 2233445566" in text and "xinghe_888" in text and "demo-merchant" in text and "重复发布（已记违规）" in text
    assert page.evaluate(SIDEWAYS)
