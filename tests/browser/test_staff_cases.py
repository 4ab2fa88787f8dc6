"""The staff console of cases in Chromium against a real `kadun serve`: the queue's countdowns are
live (a breached case in red, on top), the arbitrator's decide form is there, and on a phone
(390 px) the queue, the SLA page and the refund requests are cards with every label and value."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from playwright.sync_api import expect

from tests.browser.seeds import PAY

from tests.browser.test_merchant_pages import _assert_cards, _login

pytestmark = pytest.mark.browser

SEED = PAY + textwrap.dedent('''
    import datetime as dt
    from kadun.accounts.models import User
    from kadun.accounts.services import user_create
    from kadun.cases import services, thread
    from kadun.core import clock
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal
    from kadun.orders.services import order_create

    buyer = User.objects.get(username="demo-buyer")
    # A shop of its own: the browser tests share one live database (another test may have paused
    # the demo shop's imports, or sold its cards).
    from kadun.merchants.services import shop_create
    merchant = User.objects.filter(username="staff-cases-merchant").first() or user_create(username="staff-cases-merchant", password="kadun-demo-2026")
    # A product of its own: the browser tests share one live database, and others buy the demo cards.
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import
    from kadun.merchants.onboarding import shop_preapprove
    shop = shop_create(owner=merchant, name="工单控制台测试店")
    shop_preapprove(shop_id=shop.pk)
    shop.refresh_from_db()  # 资质审核 passed
    card = product_create(shop=shop,
                          data={"title": "测试点卡 工单控制台", "category": "game_card", "delivery": "auto", "price": 1000})
    keys_import(product=card, lines=[(i + 1, f"STAFF-CASES-{card.pk}-{i:04d}-X7Q") for i in range(10)], source="test")
    for name, role in (("demo-support", "support"), ("demo-arbitrator", "arbitrator")):
        if not User.objects.filter(username=name).exists():
            user_create(username=name, password="kadun-demo-2026", staff_role=role)

    def paid(**kwargs):
        order, _, _ = order_create(product_id=card.pk, quantity=kwargs.pop("quantity", 1), buyer=buyer, confirm_no_reason_exclusion=True, **kwargs)
        pay(order)
        assert order.status == "delivered", (order.order_no, order.status)
        return order

    first = paid()
    clock.advance(dt.timedelta(minutes=-40))  # reached the platform 40 minutes ago: its first response is overdue
    late = services.case_open(order=first, kind="complaint", statement="商家在聊天里要求加QQ私下交易", author=buyer)
    clock.reset()
    order = paid(quantity=2)
    key = CardKey.objects.filter(order=order).order_by("id").first()
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="127.0.0.1")
    dispute = services.case_open(order=order, kind="key_problem", statement="第一张卡密充值时提示已被使用", remedy="full_refund",
                                 key_ids=[key.pk], author=buyer)
    thread.message_post(order=order, party="merchant", author=merchant, body="卡密出库时有效，请提供充值失败截图")
    thread.message_post(order=order, party="buyer", author=buyer, body="官网提示：该卡已于今日使用")
    services.case_ask_platform(case=dispute, party="buyer", author=buyer)
    from kadun.aftersales.services import refund_request_create
    other = paid()
    other_key = CardKey.objects.filter(order=other).first()
    key_reveal(order=other, key_id=other_key.pk, actor="buyer", user=buyer, ip="127.0.0.1")
    refund_request_create(order=other, reason="not_as_described", statement="面值不对", key_ids=[other_key.pk])
    urgent = services.case_open(order=paid(), kind="inquiry", statement="请问点卡在哪里兑换？", author=buyer, priority="high")
    print(late.case_no, dispute.case_no, urgent.case_no)
''')


@pytest.fixture(scope="module")
def cases(live_kadun):
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", SEED], env=live_kadun["env"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    late, dispute, urgent = result.stdout.split()[-3:]
    return {"late": late, "dispute": dispute, "urgent": urgent}


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_the_queue_counts_down_live_with_the_breached_case_on_top_and_the_decide_form(live_kadun, cases, desktop):
    base, page, shots = live_kadun["base"], desktop, live_kadun["var"]
    _login(page, base, "demo-arbitrator")
    page.goto(base + "/staff/cases/")
    page.wait_for_selector("#staff-queue [data-sla-due][data-countdown=live]")
    rows = page.locator("#staff-queue tbody tr")
    assert rows.first.get_attribute("data-case") == cases["late"]
    first = page.locator(f'tr[data-case="{cases["late"]}"] [data-sla-due]')
    expect(first).to_have_text("已超时 10分")  # the 30-minute target, 40 minutes ago
    assert "bad" in first.get_attribute("class")
    page.screenshot(path=str(shots / "desktop-staff-queue.png"), full_page=True)

    page.goto(base + f"/staff/cases/{cases['dispute']}/")
    assert page.locator("#decide").is_visible()
    assert "举证责任" in page.inner_text("#burden")
    page.locator("#decide input[name=clauses]").first.check()
    page.screenshot(path=str(shots / "desktop-staff-case.png"), full_page=True)

    page.goto(base + "/staff/cases/sla/")
    page.screenshot(path=str(shots / "desktop-staff-sla.png"), full_page=True)


def test_the_staff_case_pages_are_cards_on_a_phone(live_kadun, cases, phone):
    base, page, shots = live_kadun["base"], phone, live_kadun["var"]
    _login(page, base, "demo-arbitrator")
    _assert_cards(page, base + "/staff/cases/", shots, "staff-queue")
    _assert_cards(page, base + "/staff/cases/sla/", shots, "staff-sla")
    _assert_cards(page, base + "/staff/refund-requests/", shots, "staff-refund-requests")
    page.goto(base + f"/staff/cases/{cases['dispute']}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the case page scrolls sideways"
    assert page.locator("#decide").is_visible()
    page.screenshot(path=str(shots / "phone-staff-case.png"), full_page=True)
