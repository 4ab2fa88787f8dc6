"""The merchant and the staff on a phone (390 px), in Chromium against a real `kadun serve`:
tables become cards whose every cell shows its label and value, the order page brings the
merchant back to the form they used with its error beside it, and the deadline counts down
from a static script."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from playwright.sync_api import expect

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser

PASSWORD = "kadun-demo-2026"
SEED = PAY + textwrap.dedent('''
    from kadun.accounts.models import User
    from kadun.aftersales.services import refund_request_create
    from kadun.catalog import selectors, services
    from kadun.catalog.models import Product
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal
    from kadun.orders.services import order_create

    buyer = User.objects.get(username="demo-buyer")
    topup = Product.objects.get(title__contains="代充")
    card = Product.objects.get(title__contains="网易")
    rules = dict(selectors.policy_current(topup).rules, milestones=[
        {"name": "已登录账号", "refundable_bps": 8000}, {"name": "充值一半", "refundable_bps": 4000},
        {"name": "充值完成待核对", "refundable_bps": 0}])
    services.policy_update(shop=topup.shop, product_id=topup.pk, rules=rules)

    def paid(product, **kwargs):
        order, _, _ = order_create(product_id=product.pk, quantity=kwargs.pop("quantity", 1), buyer=buyer, confirm_no_reason_exclusion=True, **kwargs)
        pay(order)
        return order

    service = paid(topup, buyer_inputs={"uid": "1008611", "server": "天空岛"})
    keys = paid(card, quantity=2)
    key = CardKey.objects.filter(order=keys).order_by("id").first()
    key_reveal(order=keys, key_id=key.pk, actor="buyer", user=buyer, ip="127.0.0.1")
    refund_request_create(order=keys, reason="not_as_described", statement="面值不对", key_ids=[key.pk])
    print(service.order_no, keys.order_no)
''')

# Every cell of every stacked table: inside the viewport, its ::before label is the cell's
# data-label and shown, and its value sits beside the label (not under it, not cut off).
CELLS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const td of document.querySelectorAll("table.stack td")) {
    const box = td.getBoundingClientRect();
    const label = td.getAttribute("data-label") || "";
    const before = getComputedStyle(td, "::before");
    const range = document.createRange();
    range.selectNodeContents(td);
    const value = range.getBoundingClientRect();
    out.push({
      label, text: td.innerText.trim(),
      shown: before.display !== "none" && before.content === JSON.stringify(label),
      inside: box.left >= 0 && box.right <= width + 0.5 && value.left >= 0 && value.right <= width + 0.5,
      beside: !label || value.left >= box.left + parseFloat(before.width) - 0.5 || td.classList.contains("actions"),
      visible: box.width > 0 && box.height > 0,
    });
  }
  return out;
}"""


@pytest.fixture(scope="module")
def seeded(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True, check=True)
    service_no, keys_no = result.stdout.split()[-2:]
    return {"service": service_no, "keys": keys_no}


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text={username}")


def _assert_cards(page, url: str, shots, name: str) -> int:
    page.goto(url)
    page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name}: the page scrolls sideways"
    cells = page.evaluate(CELLS)
    assert cells, f"{name}: no stacked table"
    for cell in cells:
        assert cell["visible"] and cell["inside"], f"{name}: cell {cell} is cut off"
        if cell["label"]:
            assert cell["shown"] and cell["beside"], f"{name}: label of {cell} not shown beside its value"
        assert cell["text"], f"{name}: empty cell {cell}"
    assert page.evaluate("[...document.querySelectorAll('table.stack thead')].every(t => t.getBoundingClientRect().width <= 1)")
    return len(cells)


def test_merchant_tables_are_cards_with_every_label_and_value_on_a_phone(live_kadun, seeded, phone):
    base, page = live_kadun["base"], phone
    _login(page, base, "demo-merchant")
    for name, path in [("orders", "/merchant/orders/"), ("products", "/merchant/products/"),
                       ("refunds", "/merchant/refunds/"), ("imports", "/merchant/imports/")]:
        _assert_cards(page, base + path, live_kadun["var"], name)
    page.goto(base + "/account/api-keys/")
    page.fill("#id_name", "发卡脚本")
    page.get_by_role("button", name="创建密钥").click()
    page.wait_for_selector("#new-api-key-secret")
    assert _assert_cards(page, page.url, live_kadun["var"], "api-keys") >= 5


def test_staff_tables_are_cards_with_every_label_and_value_on_a_phone(live_kadun, seeded, phone):
    base, page = live_kadun["base"], phone
    _login(page, base, "demo-admin")
    _assert_cards(page, base + "/staff/", live_kadun["var"], "staff-orders")
    _assert_cards(page, base + f"/staff/orders/{seeded['keys']}/", live_kadun["var"], "staff-order")
    text = page.inner_text("main")
    assert "paid_delivered" not in text and "已支付并自动发货" in text


def test_merchant_accepts_then_a_refused_delivery_is_shown_beside_the_form(live_kadun, seeded, phone, tmp_path):
    base, page = live_kadun["base"], phone
    _login(page, base, "demo-merchant")
    page.goto(base + f"/merchant/orders/{seeded['service']}/")
    assert page.query_selector("#deliver-form") is None  # 发货 only after 接单
    assert "须在" in page.inner_text("#service-due")

    # The countdown is kept by the static script (it parsed the server's deadline): move the
    # deadline, the text follows.
    page.wait_for_selector("#service-due [data-deadline][data-countdown=live]")
    page.eval_on_selector("#service-due [data-deadline]", "el => el.setAttribute('data-deadline', new Date(Date.now() + 90500).toISOString())")
    expect(page.locator("#service-due [data-deadline]")).to_have_text("还剩 1分")  # no page-side eval: the CSP forbids it
    assert "bad" in page.get_attribute("#service-due [data-deadline]", "class")

    page.get_by_role("button", name="接单").click()
    page.wait_for_url(re.compile(r"#handle$"))
    page.wait_for_selector("#deliver-form")
    assert "已接单" in page.inner_text("#handle")
    assert page.evaluate("window.scrollY") > 0  # brought back to the section, not the top

    fake = tmp_path / "done.png"
    fake.write_bytes(b"MZ this is not an image")
    page.fill("#id_note", "已充值到账")
    page.set_input_files("#id_image", str(fake))
    page.get_by_role("button", name="发货", exact=True).click()
    page.wait_for_selector("#deliver-form .errors")
    error = page.locator("#deliver-form .errors")
    assert "图片需为" in error.inner_text()
    box, height = error.bounding_box(), page.viewport_size["height"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, "the error is not on screen after the reload"
    page.screenshot(path=str(live_kadun["var"] / "phone-deliver-error.png"), full_page=False)

    # Milestones: only the next one is offered, with what it leaves the buyer.
    button = page.locator("#milestone-form button")
    assert button.count() == 1 and "已登录账号" in button.inner_text()
    button.click()
    page.wait_for_url(re.compile(r"#milestones$"))
    assert "充值一半" in page.inner_text("#milestone-form")
    assert "最多可退 40%" in page.inner_text("#milestone-form")
    assert page.evaluate("window.scrollY") > 0
