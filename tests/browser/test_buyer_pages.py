"""What a buyer does on the pages that only a browser shows: pay again after a failed payment,
the live countdown, the 一键退款 box after a reveal, copy, 全部查看, export .txt, the
confirmation steps, and every buyer page at phone width (390 px) and on a desktop (1280 px),
in Chinese and in English. Against a real `kadun serve` with the demo data."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
CARD = "网易一卡通 50元 点卡"
OFFICE = "Office 专业版 激活码（一年）"
DEMO_PASSWORD = "kadun-demo-2026"


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    yield context.new_page()
    context.close()


def _shot(live_kadun, page, name: str) -> None:
    page.screenshot(path=str(live_kadun["var"] / f"{name}.png"), full_page=True)


def _checkout(page, base: str, *, title: str = CARD, quantity: int = 1, guest: bool = True) -> str:
    """Storefront → product → 提交订单. Returns the order number, on 订单已创建."""
    page.goto(base + "/")
    page.get_by_text(title).first.click()
    page.wait_for_selector("#checkout")
    page.fill("#id_quantity", str(quantity))
    if guest:
        page.fill("#id_contact", "guest@example.com")
        page.fill("#id_query_password", "chaxun-123")
    if page.query_selector("#id_no_reason_waived"):
        page.check("#id_no_reason_waived")
    page.click("#checkout button[type=submit]")
    page.wait_for_selector("#order-no")
    return page.inner_text("#order-no").strip()


def _pay(page, order_no: str) -> None:
    page.click("#go-pay")
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order_no}/$"))
    page.wait_for_selector("[data-status=delivered]", timeout=15000)


def _fits(page, width: int) -> None:
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_failed_payment_is_paid_on_the_second_try(live_kadun, phone):
    base, page = live_kadun["base"], phone
    order_no = _checkout(page, base)
    page.click("#go-pay")
    assert page.inner_text("#trade-status") == "待支付"
    page.click("#sandbox-fail")
    page.wait_for_selector("#trade-failed")
    assert page.inner_text("#trade-status") == "支付失败"
    _shot(live_kadun, page, "sandbox-failed-390")
    _fits(page, 390)

    page.click("#sandbox-return")  # back at the shop: the order says so and offers to pay again
    page.wait_for_selector("#payment-failed")
    assert page.inner_text("#go-pay") == "重新支付"
    page.click("#go-pay")
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order_no}/$"))
    page.wait_for_selector("[data-status=delivered]", timeout=15000)


def test_refreshing_the_created_page_shows_the_link_no_more_and_buys_nothing_more(live_kadun, phone):
    base, page = live_kadun["base"], phone
    order_no = _checkout(page, base)
    link = page.inner_text("#access-link").strip()
    assert "/o/" in link and link.split("/o/")[1].strip("/") not in page.url
    page.reload()
    assert page.inner_text("#order-no").strip() == order_no  # the same order, not a second one
    assert page.query_selector("#access-link") is None and page.query_selector("#access-link-gone")
    page.goto(base + "/orders/lookup/")


def test_the_payment_countdown_runs_and_says_expired_at_zero(live_kadun, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.clock.install()
    _checkout(page, live_kadun["base"])
    countdown = page.locator("#pay-deadline .countdown")
    first = countdown.inner_text()
    assert re.fullmatch(r"1[45]:\d\d", first), first
    page.clock.run_for(3000)
    assert countdown.inner_text() != first
    with page.expect_request(re.compile(r"/status/")):  # at zero the status is asked for at once
        page.clock.run_for(15 * 60 * 1000)
    assert countdown.inner_text() == "订单已过期"
    assert not page.locator("#go-pay").is_visible()
    context.close()


def test_a_reveal_updates_the_refund_box_and_the_key_can_be_copied(live_kadun, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_kadun["base"])
    page = context.new_page()
    order_no = _checkout(page, live_kadun["base"], quantity=2)
    _pay(page, order_no)
    assert "您有 2 个卡密尚未查看" in page.inner_text("#instant-refund-box")

    page.locator("button.reveal").first.click()
    key = page.wait_for_selector(".key.revealed").inner_text().strip()
    box = page.inner_text("#instant-refund-box")
    assert "您有 1 个卡密尚未查看" in box and "#2" in box and "#1" not in box and "¥48.50" in page.inner_html("#instant-refund-box")

    page.click(".keycell .copy")
    page.wait_for_selector(".keycell .copy.copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    _fits(page, 390)
    context.close()


def test_reveal_all_then_export_as_txt(live_kadun, desktop):
    base, page = live_kadun["base"], desktop
    order_no = _checkout(page, base, title=OFFICE, quantity=3)
    _pay(page, order_no)
    assert "都会把每个卡密记为已查看" in page.inner_text("#keys-all")

    page.click("#reveal-all")
    page.locator("#keys .key.revealed").nth(2).wait_for()  # no page-side eval: the CSP forbids it
    keys = [k.strip() for k in page.locator("#keys .key.revealed").all_inner_texts()]
    assert all("----" in k for k in keys)
    assert page.query_selector("#instant-refund") is None  # all seen: nothing to refund unseen
    _shot(live_kadun, page, "order-reveal-all-1280")

    with page.expect_download() as download:
        page.click("#export-keys")
    assert download.value.suggested_filename == f"kadun-{order_no}.txt"
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("# ") and order_no in lines[0] and lines[1:] == keys
    page.wait_for_selector("#keys .key:not(.revealed)")  # the page reloads: masked, with reveal times
    assert page.inner_text("#keys").count("首次查看") == 3


def test_confirm_receipt_asks_first_and_cancel_changes_nothing(live_kadun, phone):
    base, page = live_kadun["base"], phone
    order_no = _checkout(page, base)
    _pay(page, order_no)
    assert not page.locator("#confirm").is_visible()
    page.click("#confirm-open")  # the first click only asks
    assert page.locator("#confirm").is_visible() and "不可撤销" in page.inner_text("#confirm-step")
    _shot(live_kadun, page, "order-confirm-step-390")
    page.click("#confirm-step [data-close-details]")
    assert not page.locator("#confirm").is_visible()
    page.reload()
    assert page.get_attribute("#order-status", "data-status") == "delivered"

    page.click("#confirm-open")
    page.click("#confirm")
    page.wait_for_selector("[data-status=confirmed]")


def test_one_click_refund_asks_first(live_kadun, phone):
    base, page = live_kadun["base"], phone
    order_no = _checkout(page, base)
    _pay(page, order_no)
    page.click("#instant-refund-open")
    assert "¥48.50" in page.inner_text("#instant-refund-step") and "不可撤销" in page.inner_text("#instant-refund-step")
    page.click("#instant-refund-step [data-close-details]")
    assert not page.locator("#instant-refund").is_visible()
    page.click("#instant-refund-open")
    page.click("#instant-refund")
    page.wait_for_selector("[data-status=refunded]")


def test_english_pages_wrap_between_words_at_phone_width(live_kadun, phone):
    base, page = live_kadun["base"], phone
    page.goto(base + "/")
    page.get_by_role("button", name="English").click()
    order_no = _checkout(page, base)
    _pay(page, order_no)
    # Every word of the page's description lists sits on one line: none is broken mid-word
    # (keys and links may break anywhere; they are not words).
    split = page.evaluate(
        """() => {
        const out = [];
        for (const dd of document.querySelectorAll('main dd')) {
          const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement.closest('.key, .secret-link')) continue;
            for (const m of node.textContent.matchAll(/[A-Za-z]{4,}/g)) {
              const range = document.createRange();
              range.setStart(node, m.index);
              range.setEnd(node, m.index + m[0].length);
              const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
              if (tops.size > 1) out.push(m[0]);
            }
          }
        }
        return out;
    }"""
    )
    assert split == []
    assert "In escrow" in page.inner_text("main")
    _shot(live_kadun, page, "order-english-390")
    _fits(page, 390)


def _buyer_logs_in(page, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", "demo-buyer")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#nav-inbox")


@pytest.mark.parametrize("width", [390, 1280])
def test_every_buyer_page_fits_the_screen(live_kadun, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    base = live_kadun["base"]
    pages = {"home": "/", "lookup": "/orders/lookup/", "signup": "/signup/", "login": "/login/", "locked": "/orders/202601010000000000/"}
    for name, path in pages.items():
        page.goto(base + path)
        _fits(page, width)
        _shot(live_kadun, page, f"{name}-{width}")
    page.goto(base + "/")
    page.get_by_text(CARD).first.click()
    page.wait_for_selector("#checkout")
    _fits(page, width)
    _shot(live_kadun, page, f"product-{width}")

    _buyer_logs_in(page, base)
    order_no = _checkout(page, base, guest=False)
    _fits(page, width)
    _shot(live_kadun, page, f"created-{width}")
    page.click("#go-pay")
    _fits(page, width)
    _shot(live_kadun, page, f"sandbox-{width}")
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order_no}/$"))
    page.wait_for_selector("[data-status=delivered]", timeout=15000)
    _fits(page, width)
    _shot(live_kadun, page, f"order-{width}")
    # The delivery sent an in-site message: the navigation counts it, the inbox opens it.
    page.reload()
    assert int(page.inner_text("#unread-count")) >= 1
    page.click("#nav-inbox")
    page.wait_for_selector(".card.message")
    _fits(page, width)
    _shot(live_kadun, page, f"inbox-{width}")
    page.reload()
    assert page.query_selector("#unread-count") is None  # opened: read
    page.goto(base + "/orders/mine/")
    _fits(page, width)
    _shot(live_kadun, page, f"my-orders-{width}")
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/static/kadun/favicon.svg")
    context.close()
