"""资质审核 and the public shop pages in Chromium at 1280 and 390 px: the application form (filled
and submitted, then pending), the shop's public page with its badge and verified identity, and
the merchant rules page — none scrolls sideways. Screenshots go to the server's var directory."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture(params=[(1280, 900), (390, 844)], ids=["1280", "390"])
def page(browser, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", is_mobile=width < 500)
    p = context.new_page()
    p.width = width
    yield p
    context.close()


def _no_sideways_scroll(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width, f"{name}: the page scrolls sideways"


def _shot(page, live_kadun, name: str) -> None:
    page.screenshot(path=str(live_kadun["var"] / f"onboarding-{name}-{page.width}.png"), full_page=True)


def test_rules_page(page, live_kadun):
    page.goto(live_kadun["base"] + "/rules/merchants/")
    assert page.locator("#gold-criteria li").count() == 6
    assert "软件授权书" in page.inner_text("#category-proofs")
    _shot(page, live_kadun, "rules")
    _no_sideways_scroll(page, "rules")


def test_shop_page_of_the_demo_shop(page, live_kadun):
    page.goto(live_kadun["base"] + "/s/1/")
    assert page.locator('[data-badge="verified"]').count() == 1
    assert "星河数卡（杭州）网络科技有限公司" in page.inner_text("#shop-identity")
    assert "9133**********100T" in page.inner_text("#shop-licence")
    _shot(page, live_kadun, "shop")
    _no_sideways_scroll(page, "shop")


def test_application_form_submitted_and_pending(page, live_kadun, tmp_path):
    base = live_kadun["base"]
    user = f"onboard-applicant-{page.width}"
    page.goto(base + "/signup/")
    page.fill("#id_username", user)
    for field in ("#id_password1", "#id_password2"):
        if page.locator(field).count():
            page.fill(field, "Onb0ard-pass-2026")
    if page.locator("#id_password").count():
        page.fill("#id_password", "Onb0ard-pass-2026")
    page.click("main button[type=submit]")
    page.goto(base + "/merchant/open/")
    page.fill("#id_name", f"审核测试店{page.width}")
    page.click("main button[type=submit]")
    page.goto(base + "/merchant/onboarding/")
    assert page.get_attribute("#onboarding-state", "data-state") == "none"
    _shot(page, live_kadun, "form")
    _no_sideways_scroll(page, "form")

    licence = tmp_path / "licence.png"
    licence.write_bytes(PNG)
    page.check("input[name=entity_type][value=person]")
    page.fill("#id_legal_name", "周九")
    page.fill("#id_number", "11010519491231002X")
    page.fill("#id_contact", "13700000000")
    page.check("input[name=categories][value=topup]")
    page.set_input_files("#id_licence", str(licence))
    page.check("#id_accept_rules")
    page.click("#application-form button[type=submit]")
    page.wait_for_selector("#onboarding-state[data-state=pending]")
    assert "1101**********002X" in page.content()
    _shot(page, live_kadun, "pending")
    _no_sideways_scroll(page, "pending")
