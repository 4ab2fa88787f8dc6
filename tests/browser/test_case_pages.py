"""售后工单 in Chromium against a real `kadun serve`: a whole dispute as the buyer lives it (a
refund request the merchant rejects on their page, 申请平台介入, the platform asks for evidence,
the buyer answers, a full-refund decision takes effect when the appeal window closes), and the
case pages at 1280 and 390 px. Staff steps the staff console does not yet offer, and moving the
clock, run as service calls in `kadun shell` against the same database."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.seeds import PAY

pytestmark = pytest.mark.browser
PASSWORD = "kadun-demo-2026"

PAID = PAY + textwrap.dedent('''
    from kadun.accounts.models import User
    from kadun.catalog.models import Product
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal
    from kadun.orders.services import order_create

    buyer = User.objects.get(username="demo-buyer")
    # the cases' own shop: their decisions and lures lower its credit, not the demo shop's
    card = Product.objects.filter(title="工单测试点卡 50元").first()
    if card is None:
        from kadun.accounts.services import user_create as _user_create
        from kadun.catalog.services import product_create
        from kadun.inventory.services import keys_import
        from kadun.merchants.onboarding import shop_preapprove
        from kadun.merchants.services import shop_create

        _shop = shop_create(owner=_user_create(username="cases-merchant", password="kadun-demo-2026"), name="工单浏览器测试店")
        shop_preapprove(shop_id=_shop.pk)
        _shop.refresh_from_db()
        card = product_create(shop=_shop, data={"title": "工单测试点卡 50元", "category": "game_card", "delivery": "auto",
                                                "price": 4850, "max_per_order": 5})
        keys_import(product=card, lines=[(i + 1, f"CASEPAGES-{i:04d}-{_shop.pk}") for i in range(60)], source="cli")

    def paid(quantity=1, reveal=True):
        order, _, _ = order_create(product_id=card.pk, quantity=quantity, buyer=buyer, confirm_no_reason_exclusion=True)
        pay(order)
        if reveal:
            for key in CardKey.objects.filter(order=order):
                key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="127.0.0.1")
        return order
''')


def _shell(live_kadun, code: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "kadun.cli", "shell", "-c", PAID + textwrap.dedent(code)], env=live_kadun["env"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _login(context, base: str, username: str):
    page = context.new_page()
    page.console_errors = []  # CSP violations, a stylesheet or picture that failed to load
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text={username}")
    return page


def _shots_dir(live_kadun) -> Path:
    path = Path(os.environ.get("KADUN_SCREENSHOTS") or live_kadun["var"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _shot(live_kadun, page, name: str, width: int) -> None:
    page.wait_for_load_state()
    page.screenshot(path=str(_shots_dir(live_kadun) / f"case-{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}px"
    assert page.console_errors == [], (name, page.console_errors)
    assert page.evaluate("[...document.styleSheets].some(s => (s.href || '').endsWith('/static/kadun/cases.css'))")


def test_a_whole_dispute_ends_refunded_on_the_buyers_page(live_kadun, browser):
    base = live_kadun["base"]
    order_no = _shell(live_kadun, 'import json; print(json.dumps({"order": paid().order_no}))')["order"]
    buyer_ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    merchant_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    buyer = _login(buyer_ctx, base, "demo-buyer")

    # The buyer asks for a refund on the order page; the key was seen, so the merchant decides.
    buyer.goto(base + f"/orders/{order_no}/")
    buyer.click("#refund-form-card summary")
    buyer.select_option("#reason", "not_as_described")
    buyer.fill("#statement", "面值显示 30 元，与描述的 50 元不符")
    buyer.click("#refund-form button[type=submit]")
    buyer.wait_for_selector("[data-refund-status=awaiting_merchant]")
    request_no = buyer.get_attribute(".refund-request", "id").removeprefix("refund-")

    merchant = _login(merchant_ctx, base, "cases-merchant")
    merchant.goto(base + f"/merchant/refunds/{request_no}/")
    merchant.fill("#reject-note", "卡密出库时面值为 50 元，买家查看后才反馈")
    merchant.click("#act-reject button[type=submit]")
    merchant.wait_for_selector("#merchant-note")

    # 申请平台介入, with the statement drafted from the rejection.
    buyer.goto(base + f"/orders/{order_no}/")
    buyer.click(f"#escalate-open-{request_no}")
    statement = buyer.locator(f"#escalate-statement-{request_no}")
    expect(statement).to_contain_text("卡密出库时面值为 50 元")
    buyer.click(f"#escalate-{request_no} button[type=submit]")
    buyer.wait_for_url(re.compile(r"/cases/CS\w+/$"))
    case_no = buyer.url.rstrip("/").rsplit("/", 1)[1]
    expect(buyer.locator("#case-waiting")).to_contain_text("等待平台处理")
    expect(buyer.locator("#refund-merchant-note")).to_have_text("卡密出库时面值为 50 元，买家查看后才反馈")

    # Staff ask the buyer for evidence (24 h); the buyer sees it with its countdown and answers.
    _shell(live_kadun, f'''
        import json
        from kadun.cases import review
        from kadun.cases.models import Case
        review.evidence_request(case=Case.objects.get(case_no="{case_no}"), staff=User.objects.get(username="demo-admin"),
                                party="buyer", text="请上传充值页面显示面值的截图")
        print(json.dumps({{}}))
    ''')
    buyer.reload()
    expect(buyer.locator(".evidence-request.open")).to_contain_text("请上传充值页面显示面值的截图")
    expect(buyer.locator("#case-waiting")).to_contain_text("买家需在")
    buyer.fill("#message-body", "截图已上传：充值页面显示面值 30 元")
    buyer.click("#message-form button[type=submit]")
    expect(buyer.locator(".msg.buyer.mine").last).to_contain_text("面值 30 元")
    expect(buyer.locator("#case-waiting")).to_contain_text("等待平台处理")

    # An arbitrator decides a full refund; the appeal window (3 days) passes.
    done = _shell(live_kadun, f'''
        import datetime as dt, json
        from kadun.accounts.services import user_create
        from kadun.cases import review
        from kadun.cases.models import Case
        from kadun.core import clock
        from kadun.deadlines.services import deadlines_sweep_all
        case = Case.objects.get(case_no="{case_no}")
        judge = user_create(username="arbitrator-" + case.case_no[-6:], password="kadun-test-pw-1", staff_role="arbitrator")
        clause = case.order.policy_snapshot["clauses"][0]["no"]
        review.case_decide(case=case, arbitrator=judge, remedy="full_refund", fault="merchant",
                           reasons="买家截图显示面值与描述不符，商家未举证", clauses=[clause], evidence=[2])
        clock.advance(dt.timedelta(days=3, seconds=5))
        deadlines_sweep_all()
        order = Case.objects.get(pk=case.pk).order
        print(json.dumps({{"refunded": order.refunded_amount, "status": order.status}}))
    ''')
    assert done == {"refunded": 4850, "status": "refunded"}

    buyer.reload()
    expect(buyer.locator("#case-status")).to_have_text("已退款")
    expect(buyer.locator("#case-refunded")).to_have_text("¥48.50")
    expect(buyer.locator(".case-steps li[data-step=done]")).to_have_text("已退款")
    expect(buyer.locator("#case-waiting")).to_have_count(0)
    timeline = buyer.inner_text("#timeline")
    facts = ("买家申请平台介入", "平台要求买家在 24 小时内提交证据", "买家已提交补充证据", "全额退款；商家责任",
             "申诉期结束，裁决自动生效执行", "已全额退款 48.50 元")
    for fact in facts:
        assert fact in timeline, fact
    expect(buyer.locator(".decision .cited-evidence a")).to_have_attribute("href", "#msg-2")
    buyer.goto(base + f"/orders/{order_no}/")
    expect(buyer.locator("#order-status")).to_have_text("已退款")
    expect(buyer.locator("#past-cases")).to_contain_text("已退 ¥48.50")
    buyer_ctx.close()
    merchant_ctx.close()


SCENES = '''
    import json
    from kadun.accounts.services import user_create
    from kadun.cases import negotiation, review, services, thread
    from kadun.cases.models import Case

    def opened(order, **kw):
        kw.setdefault("kind", "key_problem")
        kw.setdefault("remedy", "full_refund")
        kw.setdefault("statement", f"订单号 {order.order_no}：卡密提示已被使用，无法充值，申请全额退款。")
        return services.case_open(order=order, author=buyer, **kw)

    waiting = paid()
    thread.message_post(order=waiting, party="buyer", author=buyer, body="你好，卡密提示已被使用，能帮忙看下吗？")
    thread.message_post(order=waiting, party="merchant", author=waiting.shop.owner, body="加我QQ 12345678 私下处理，退你微信")
    opened(waiting)
    fresh = paid(reveal=False)
    talking = paid()
    case = opened(talking, kind="refund_dispute", statement="面值与描述不符，协商退款")
    thread.message_post(order=talking, party="merchant", author=talking.shop.owner, body="可以退一半差价，您看行吗？")
    negotiation.offer_make(case=Case.objects.get(pk=case.pk), remedy="partial_refund", amount=2000, note="退差价 20 元", author=talking.shop.owner)
    decided = paid()
    from kadun.aftersales.services import refund_request_create, refund_request_respond
    from kadun.inventory.models import CardKey
    key = CardKey.objects.filter(order=decided).first()
    asked = refund_request_create(order=decided, reason="not_as_described", statement="面值与描述不符", key_ids=[key.pk], images=[])
    refund_request_respond(request=asked, shop=decided.shop, action="reject", note="卡密出库时有效，买家查看后才反馈")
    dcase = services.case_escalate_request(order=decided, request_no=asked.request_no, author=buyer,
                                           statement=f"订单号 {decided.order_no}：商家拒绝退款，我不同意，申请平台介入。")
    judge = user_create(username="arbitrator-shots-" + dcase.case_no[-6:], password="kadun-test-pw-1", staff_role="arbitrator")
    review.case_decide(case=Case.objects.get(pk=dcase.pk), arbitrator=judge, remedy="partial_refund", amount=2425, fault="merchant",
                       reasons="卡密在买家首次查看前已被使用的证据不足，但商家未按约定提供兑换说明，酌情退一半。",
                       clauses=[decided.policy_snapshot["clauses"][0]["no"], decided.policy_snapshot["clauses"][1]["no"]], evidence=[1])
    print(json.dumps({"waiting": waiting.order_no, "fresh": fresh.order_no, "talking": case.case_no, "decided": dcase.case_no}))
'''


@pytest.fixture(scope="module")
def scenes(live_kadun):
    return _shell(live_kadun, SCENES)


@pytest.mark.parametrize("width", [1280, 390])
def test_case_pages_at_desktop_and_phone_width(live_kadun, browser, scenes, width):
    base = live_kadun["base"]
    mobile = width < 600
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=mobile, has_touch=mobile)
    buyer = _login(context, base, "demo-buyer")
    buyer.goto(base + f"/orders/{scenes['waiting']}/")
    expect(buyer.locator("#case-box .countdown")).to_have_text(re.compile(r"^4\d:\d\d:\d\d$"))
    expect(buyer.locator("#case-box .countdown")).to_have_attribute("data-countdown-started", "1")  # kadun.js keeps it live
    _shot(live_kadun, buyer, "order-open-case", width)
    buyer.goto(base + f"/orders/{scenes['fresh']}/case/new/")
    _shot(live_kadun, buyer, "open-form", width)
    buyer.goto(base + f"/cases/{scenes['talking']}/")
    expect(buyer.locator("#offer-open")).to_contain_text("部分退款 20.00 元")
    _shot(live_kadun, buyer, "buyer-negotiation", width)
    buyer.goto(base + f"/cases/{scenes['decided']}/")
    expect(buyer.locator("#appeal-window")).to_be_visible()
    _shot(live_kadun, buyer, "decided", width)
    context.close()

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", is_mobile=mobile, has_touch=mobile)
    merchant = _login(context, base, "cases-merchant")
    merchant.goto(base + f"/merchant/cases/{scenes['talking']}/")
    expect(merchant.locator(".refusal")).to_have_count(0)  # a refund dispute: every remedy is the merchant's to offer
    _shot(live_kadun, merchant, "merchant-case", width)
    merchant.goto(base + "/merchant/cases/")
    _shot(live_kadun, merchant, "merchant-list", width)
    context.close()
