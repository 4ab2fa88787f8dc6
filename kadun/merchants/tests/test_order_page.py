"""The merchant's order page for a manual service, through HTTP: 接单 before 发货, the frozen
delivery deadline and what the merchant receives after the platform fee, milestones one at a
time, and errors shown next to the form that caused them (the form posts back to its section)."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_create
from kadun.catalog import selectors as catalog_selectors
from kadun.catalog.services import policy_update
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.merchants.tests.html import section, section_tags
from kadun.orders.models import Order
from kadun.orders.services import order_accept, order_confirm, order_deliver
from kadun.orders.states import OrderStatus

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
STEPS = [
    {"name": "已登录账号", "refundable_bps": 8000},
    {"name": "充值一半", "refundable_bps": 4000},
    {"name": "充值完成待核对", "refundable_bps": 0},
]


@pytest.fixture
def merchant(client):
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


def _service(shop, *, price=3000, **rules):
    product = make_product(shop, delivery="manual", price=price, refund_rules=rules or None)
    order, _, _ = buy(product, buyer_inputs={"account": "wzry-player-77"})
    return pay(order)


def _page(client, order) -> str:
    response = client.get(reverse("merchants:order", args=[order.order_no]))
    assert response.status_code == 200
    return response.content.decode()


def _actions(html: str, element_id: str) -> list[str]:
    return [t["action"] for t in section_tags(html, element_id) if t["tag"] == "form"]


def _reload(order) -> Order:
    return Order.objects.get(pk=order.pk)


# --- 接单 before 发货 ------------------------------------------------------------------------


def test_a_paid_service_offers_accept_and_not_deliver(client, merchant):
    order = _service(merchant)
    page = _page(client, order)
    actions = _actions(page, "handle")
    assert actions == [reverse("merchants:order_accept", args=[order.order_no]) + "#handle"]
    assert reverse("merchants:order_deliver", args=[order.order_no]) not in page


def test_deliver_before_accept_is_refused_and_nothing_changes(client, merchant):
    order = _service(merchant)

    response = client.post(reverse("merchants:order_deliver", args=[order.order_no]), {"note": "已代充完成"})

    assert response.status_code == 409
    assert "请先接单" in section(response.content.decode(), "handle")
    order = _reload(order)
    assert (order.status, order.delivery_note, order.delivered_at) == (OrderStatus.PAID, "", None)
    assert not order.events.filter(kind="delivered").exists()
    assert not Deadline.objects.filter(kind="order_autoconfirm", subject_id=order.pk).exists()


def test_deliver_before_accept_through_the_api_is_409_not_accepted(merchant):
    order = _service(merchant)
    _key, secret = api_key_create(user=merchant.owner, name="script")
    api = Client(headers={"Authorization": f"Bearer {secret}"})

    response = api.post(f"/api/merchant/orders/{order.order_no}/deliver", {"note": "已完成"}, content_type="application/json")

    assert response.status_code == 409 and response.json()["code"] == "not_accepted"
    assert _reload(order).status == OrderStatus.PAID


def test_accepting_leads_to_the_deliver_form(client, merchant):
    order = _service(merchant)

    response = client.post(reverse("merchants:order_accept", args=[order.order_no]))

    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:order", args=[order.order_no]) + "#handle"
    page = _page(client, order)
    assert _actions(page, "handle") == [reverse("merchants:order_deliver", args=[order.order_no]) + "#handle"]
    assert reverse("merchants:order_accept", args=[order.order_no]) not in page


# --- errors next to the form ---------------------------------------------------------------


def test_a_refused_accept_is_shown_in_the_handle_section_not_at_the_top(client, merchant):
    order = _service(merchant)
    url = reverse("merchants:order_accept", args=[order.order_no])
    client.post(url)

    response = client.post(url)  # a second tab, a double click

    body = response.content.decode()
    assert response.status_code == 409
    assert "该订单当前不能接单" in section(body, "handle")
    assert 'class="flash"' not in body
    assert order.events.filter(kind="accepted").count() == 1


def test_a_delivery_without_a_note_shows_the_error_in_the_deliver_form(client, merchant):
    order = _service(merchant)
    order_accept(order=order, shop=merchant)

    response = client.post(reverse("merchants:order_deliver", args=[order.order_no]), {"note": "  "})

    assert response.status_code == 400
    assert "请填写发货说明" in section(response.content.decode(), "deliver-form")
    assert _reload(order).status == OrderStatus.IN_SERVICE


def test_a_refused_milestone_is_shown_in_the_milestones_section(client, merchant):
    order = _service(merchant, milestones=STEPS)  # paid, not accepted

    response = client.post(reverse("merchants:order_milestone", args=[order.order_no]), {"milestone": "1"})

    body = response.content.decode()
    assert response.status_code == 409
    assert "接单" in section(body, "milestones-error")
    assert "milestones-error" in [t.get("id") for t in section_tags(body, "milestones")]  # inside the section
    assert _reload(order).milestone == 0


# --- milestones, one at a time ------------------------------------------------------------


def test_only_the_next_milestone_can_be_marked(client, merchant):
    order = _service(merchant, price=3000, milestones=STEPS)
    order_accept(order=order, shop=merchant)
    url = reverse("merchants:order_milestone", args=[order.order_no])

    refused = client.post(url, {"milestone": "3"})  # straight to 0 % refundable
    assert refused.status_code == 409
    assert "已登录账号" in section(refused.content.decode(), "milestones-error")
    assert _reload(order).milestone == 0

    done = client.post(url, {"milestone": "1"})
    assert done.status_code == 302
    assert done["Location"] == reverse("merchants:order", args=[order.order_no]) + "#milestones"
    assert _reload(order).milestone == 1

    for skipped in ("1", "3"):
        assert client.post(url, {"milestone": skipped}).status_code == 409
    assert _reload(order).milestone == 1
    assert order.events.filter(kind="milestone").count() == 1


def test_the_page_offers_only_the_next_milestone_and_the_share_it_leaves(client, merchant):
    order = _service(merchant, price=3000, milestones=STEPS)
    order_accept(order=order, shop=merchant)

    page = _page(client, order)
    buttons = [t for t in section_tags(page, "milestones") if t["tag"] == "button"]
    assert [b["value"] for b in buttons] == ["1"]
    text = section(page, "milestones")
    assert "标记后，买家申请退款最多可退 80%（¥24.00）" in text

    client.post(reverse("merchants:order_milestone", args=[order.order_no]), {"milestone": "1"})
    page = _page(client, order)
    buttons = [t for t in section_tags(page, "milestones") if t["tag"] == "button"]
    assert [b["value"] for b in buttons] == ["2"]
    text = section(page, "milestones")
    assert "当前买家最多可退 80%（¥24.00）" in text
    assert "标记后，买家申请退款最多可退 40%（¥12.00）" in text


def test_milestones_are_not_offered_before_accepting(client, merchant):
    order = _service(merchant, milestones=STEPS)
    page = _page(client, order)
    assert not [t for t in section_tags(page, "milestones") if t["tag"] == "button"]
    assert "接单后" in section(page, "milestones")


# --- deadline and fee ---------------------------------------------------------------------


def test_the_frozen_delivery_deadline_is_shown_with_a_live_countdown(client, merchant):
    order = _service(merchant, delivery_deadline_hours=48)
    # A later edit of the product's rules does not move this order's deadline.
    rules = dict(catalog_selectors.policy_current(order.product).rules, delivery_deadline_hours=12)
    policy_update(shop=merchant, product_id=order.product_id, rules=rules)
    due = order.paid_at + dt.timedelta(hours=48)
    assert Deadline.objects.get(kind="order_service_due", subject_id=order.pk).due_at == due
    clock.advance(dt.timedelta(hours=2, minutes=30))

    page = _page(client, order)

    text = section(page, "service-due")
    assert f"须在 {due.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 前完成服务，逾期系统自动全额退款" in text
    assert "还剩 1天21小时" in text
    tag = next(t for t in section_tags(page, "service-due") if "data-deadline" in t)
    assert dt.datetime.fromisoformat(tag["data-deadline"]) == due
    assert "kadun/countdown.js" in page
    assert "<script>" not in page  # no inline script (CSP: scripts from 'self' only)


def test_the_deadline_is_gone_once_delivered(client, merchant):
    order = _service(merchant)
    order_accept(order=order, shop=merchant)
    order_deliver(order=order, shop=merchant, note="已完成")
    assert 'id="service-due"' not in _page(client, order)


def test_the_merchant_sees_what_they_receive_after_the_fee(client, merchant, settings):
    settings.KADUN_PLATFORM_FEE_BPS = 350
    order = _service(merchant, price=3000)  # fee 105 分

    text = section(_page(client, order), "payout")
    assert "¥28.95" in text and "3.5%" in text and "¥1.05" in text

    order_accept(order=order, shop=merchant)
    order_deliver(order=order, shop=merchant, note="已完成")
    order_confirm(order_id=order.pk, actor="buyer")
    text = section(_page(client, order), "payout")
    assert "¥28.95" in text and "¥1.05" in text  # what the ledger booked for this order


def test_the_dashboard_shows_the_platform_fee_rate(client, merchant, settings):
    settings.KADUN_PLATFORM_FEE_BPS = 350
    page = client.get(reverse("merchants:dashboard")).content.decode()
    assert "3.5%" in section(page, "fee-rate")
    form = client.get(reverse("merchants:product_new")).content.decode()
    assert "平台按 3.5% 收取手续费" in form  # said where the price is set
