"""信用分 in Chromium against a real `kadun serve`, at 1280 px and 390 px: the public credit page
(score, breakdown, the history chart, a warning on record) and the merchant's own page (how to
raise it, the appeal form) — shown whole, nothing scrolling sideways. Screenshots go to the
server's var dir (credit-*.png)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
SEED = textwrap.dedent('''
    import datetime as dt
    from kadun.accounts.models import User
    from kadun.core import clock
    from kadun.merchants import penalties
    from kadun.merchants.services import breach_record
    from kadun.reputation import services

    from kadun.accounts.services import user_create
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create

    # its own shop: the warning and breaches must not restrict the demo shop other browser tests sell from
    merchant = user_create(username="credit-merchant", password="kadun-demo-2026")
    shop = shop_create(owner=merchant, name="信用分测试店")
    shop_preapprove(shop_id=shop.pk)
    staff = User.objects.get(username="demo-admin")
    services.score_recompute(shop_id=shop.pk)
    for n in range(3):
        breach_record(shop_id=shop.pk, kind="refund_no_response")
        services.score_recompute(shop_id=shop.pk)
    p = penalties.penalty_propose(shop_id=shop.pk, kind="refund_refusal", evidence={"orders": [1]}, proposed_by=staff)
    penalties.penalty_confirm(penalty_id=p.pk, staff=staff, reason="拒绝规则规定的退款（浏览器测试）")
    services.score_recompute(shop_id=shop.pk)
    print(shop.pk)
''')


@pytest.fixture(scope="module")
def shop_id(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()[-1]


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def screen(browser, request):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=width < 500, has_touch=width < 500)
    yield context.new_page()
    context.close()


def test_the_public_credit_page(live_kadun, shop_id, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    page.goto(base + f"/s/{shop_id}/credit/")
    page.screenshot(path=str(var / f"credit-public-{page.viewport_size['width']}.png"), full_page=True)
    assert page.locator("#credit-score").inner_text().isdigit()
    assert page.locator("#credit-breakdown tr").count() >= 8
    assert page.locator("#credit-chart polyline").count() == 1
    assert "拒绝规则规定的退款" in page.locator("#credit-warnings").inner_text()
    assert page.evaluate(SIDEWAYS), "the credit page scrolls sideways"


def test_the_merchant_credit_page(live_kadun, shop_id, screen):
    base, var, page = live_kadun["base"], live_kadun["var"], screen
    page.goto(base + "/login/")
    page.fill("#id_username", "credit-merchant")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=credit-merchant")
    page.goto(base + "/merchant/credit/")
    page.screenshot(path=str(var / f"credit-merchant-{page.viewport_size['width']}.png"), full_page=True)
    assert "如何提高" in page.locator("#credit-breakdown").inner_text()
    assert page.locator("#my-penalties textarea[name=reason]").count() == 1
    assert page.evaluate(SIDEWAYS), "the merchant credit page scrolls sideways"
