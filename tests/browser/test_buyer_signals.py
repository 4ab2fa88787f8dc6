"""What a buyer sees before paying, in Chromium against a real `kadun serve`, at 1280 and 390 px:
the shop page with its record (店铺档案), charts and reviews (a 差评 with 卡密无效 counted in the
risk-keyword line, a hidden review keeping its place), a product page with the record's headline,
the 超低价 / 新商家 warnings and the 售后保险 offer, an insured order's cover, and the platform's
transparency report. Nothing scrolls sideways. Screenshots go to the server's var dir (signals-*.png)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
SEED = PAY + textwrap.dedent('''
    import json
    from kadun.accounts.models import User
    from kadun.accounts.services import user_create
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create
    from kadun.orders.release import order_confirm
    from kadun.orders.services import order_create
    from kadun.reputation import services as reputation
    from kadun.reputation.services_reviews import review_create, review_hide

    # its own shop: a new one (新商家), with a 超低价 card, so the demo shop's record stays as it is
    buyer = User.objects.get(username="demo-buyer")
    staff = User.objects.get(username="demo-admin")
    shop = shop_create(owner=user_create(username="signals-merchant", password="kadun-demo-2026"), name="评价测试店")
    shop_preapprove(shop_id=shop.pk)
    shop.refresh_from_db()
    card = product_create(shop=shop, data={"title": "信号测试点卡 100元", "category": "game_card", "delivery": "auto",
                                           "price": 4000, "market_price": 10000, "max_per_order": 5})
    keys_import(product=card, lines=[(i + 1, f"SIGNALS-{i:04d}-{shop.pk}") for i in range(20)], source="cli")
    texts = [(5, "秒发货，卡密直接能用，好评"), (1, "卡密无效，客服不回，申请退款被拒"), (4, "能用，就是客服回复慢了点"),
             (2, "我的手机号13800138000，卡密提示已被使用")]
    reviews = []
    for stars, text in texts:
        order, _, _ = order_create(product_id=card.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True, confirm_low_price=True)
        pay(order)
        order_confirm(order_id=order.pk, actor="buyer", user=buyer)
        order.refresh_from_db()
        reviews.append(review_create(order=order, role="buyer", rating=stars, text=text))
    review_hide(review_id=reviews[-1].pk, staff=staff, reason="personal_data", note="含手机号")
    insured, _, _ = order_create(product_id=card.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True,
                                 confirm_low_price=True, insure=True)
    pay(insured)
    reputation.score_recompute(shop_id=shop.pk)
    print(json.dumps({"shop": shop.pk, "product": card.pk, "insured": insured.order_no, "hidden": reviews[-1].pk}))
''')


@pytest.fixture(scope="module")
def seeded(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def screen(browser, request):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def _shot(live_kadun, page, name: str) -> None:
    page.screenshot(path=str(live_kadun["var"] / f"signals-{name}-{page.viewport_size['width']}.png"), full_page=True)
    assert page.evaluate(SIDEWAYS), f"{name} scrolls sideways"
    assert page.console_errors == [], (name, page.console_errors)


def test_the_shop_page_shows_its_record_and_reviews(live_kadun, seeded, screen):
    page = screen
    page.goto(live_kadun["base"] + f"/s/{seeded['shop']}/")
    _shot(live_kadun, page, "shop")
    assert page.locator("#shop-record-figures").is_visible()
    assert page.locator("#shop-reviews li.review").count() == 4
    hidden = page.locator(f"#review-{seeded['hidden']}")
    assert "隐藏" in hidden.inner_text() and "13800138000" not in hidden.inner_text()
    assert "卡密无效" in page.locator("#review-keywords").inner_text()
    page.click("#reviews-bad")
    page.wait_for_url("**reviews=bad**")
    assert page.locator("#shop-reviews li.review").count() == 2


def test_the_product_page_warns_before_paying(live_kadun, seeded, screen):
    page = screen
    page.goto(live_kadun["base"] + "/login/")
    page.fill("#id_username", "demo-buyer")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=demo-buyer")
    page.goto(live_kadun["base"] + f"/p/{seeded['product']}/")
    _shot(live_kadun, page, "product")
    assert page.locator("#shop-record-headline").is_visible()
    warnings = page.locator("#checkout-warnings").inner_text()
    assert "超低价" in warnings and "新商家" in warnings
    assert page.locator("#insurance-offer").is_visible()
    page.goto(live_kadun["base"] + f"/orders/{seeded['insured']}/")
    _shot(live_kadun, page, "insured-order")
    assert page.locator("#insurance-cover").is_visible()
    assert page.locator("#order-warnings").is_visible()


def test_the_platform_report_page(live_kadun, seeded, screen):
    page = screen
    page.goto(live_kadun["base"] + "/report/")
    _shot(live_kadun, page, "report")
    assert page.locator("h1").count() == 1
