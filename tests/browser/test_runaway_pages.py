"""跑路 protection in Chromium against a real `kadun serve`, at 1280 px and on a phone (390 px):
the staff runaway page (signals, freeze, the mass refund's progress and report) and the notice
buyers see on the shop's product page — shown whole, nothing scrolling sideways. Screenshots
land in the run's var directory (runaway-staff-<width>.png, runaway-notice-<width>.png)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
SEED = PAY + textwrap.dedent('''
    from kadun.accounts.models import User
    from kadun.accounts.services import user_create
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import breach_record, shop_create
    from kadun.orders.services import order_create
    from kadun.risk import runaway, runaway_disposal

    merchant = user_create(username="runaway-merchant", password="kadun-demo-2026")
    shop = shop_create(owner=merchant, name="星河跑路测试店")
    shop_preapprove(shop_id=shop.pk)  # 资质审核 passed
    shop.refresh_from_db()
    product = product_create(shop=shop, data={"title": "跑路测试点卡 100元", "price": 9800, "delivery": "auto", "category": "game_card"})
    keys_import(product=product, lines=[(i + 1, f"RUNAWAY-BROWSER-{i:04d}") for i in range(3)], source="cli")
    buyer = User.objects.get(username="demo-buyer")
    for _ in range(2):
        order, _, _ = order_create(product_id=product.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True)
        pay(order)
    for i in range(3):
        breach_record(shop_id=shop.pk, kind="refund_no_response", note=f"退款申请 {i} 逾期未处理")
    runaway.runaway_evaluate(shop_id=shop.pk)
    admin = User.objects.get(username="demo-admin")
    runaway_disposal.runaway_declare(shop_id=shop.pk, actor=admin, reason="商家失联，多名买家投诉",
                                     notice="该店铺已被平台认定为跑路，仍在售后期内的订单由平台全额退款。", confirm_name=shop.name)
    print(shop.pk, product.pk)
''')
SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def seeded(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True, check=True)
    shop, product = result.stdout.split()[-2:]
    return {"shop": shop, "product": product}


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


def test_staff_see_the_runaway_page_with_progress_and_report(live_kadun, seeded, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    _login(page, base, "demo-admin")
    url = base + f"/staff/runaway/shops/{seeded['shop']}/"
    for _ in range(50):  # the in-process sweeper refunds the two orders
        page.goto(url)
        if "已退款 2 单" in page.inner_text("#progress"):
            break
        time.sleep(0.2)
    page.screenshot(path=str(var / f"runaway-staff-{page.viewport_size['width']}.png"), full_page=True)
    assert "已退款 2 单" in page.inner_text("#progress")
    assert "多次逾期未处理" in page.inner_text("#signals") and "196.00" in page.inner_text("#report-totals")
    assert page.evaluate(SIDEWAYS)


def test_buyers_see_the_notice_on_the_product_page(live_kadun, seeded, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    page.goto(base + f"/p/{seeded['product']}/")
    page.screenshot(path=str(var / f"runaway-notice-{page.viewport_size['width']}.png"), full_page=True)
    notice = page.locator("#runaway-notice")
    assert notice.is_visible() and "仍在售后期内的订单由平台全额退款" in notice.inner_text()
    assert page.evaluate(SIDEWAYS)
