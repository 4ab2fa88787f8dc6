"""下单前提示: each checkout warning appears exactly when its condition holds (with its boundary),
is stored with the order and logged with it, and the 超低价 tick is enforced through the page and
the API."""
import datetime as dt
import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user
from kadun.catalog.models import ComparablePrice
from kadun.catalog.services import policy_update, product_update
from kadun.core import clock
from kadun.evidence import services as evidence
from kadun.evidence.models import Entry
from kadun.orders.models import CheckoutConfirmation, Order
from kadun.orders.warnings import checkout_warnings
from tests.credit_data import confirmed_orders

pytestmark = pytest.mark.django_db

GUEST = {"contact": "guest@example.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": True}


def codes(product) -> list[str]:
    from kadun.catalog.selectors import policy_current

    product.refresh_from_db()
    return [w.code for w in checkout_warnings(product, policy_current(product).rules)]


def warning(product, code):
    from kadun.catalog.selectors import policy_current

    product.refresh_from_db()
    return next(w for w in checkout_warnings(product, policy_current(product).rules) if w.code == code)


def established_shop(*, days: int = 31, orders: int = 20):
    """A shop ``days`` old with ``orders`` confirmed orders (logged, as checkout would log them)."""
    shop = make_shop()
    clock.advance(dt.timedelta(days=days))
    if orders:
        made = confirmed_orders(shop, orders)
        evidence.record_rows([("orders.order", o) for o in made])
    return shop


# --- 超低价 ---------------------------------------------------------------------------------------


def test_a_price_below_half_the_market_price_warns_with_the_figures_and_a_tick():
    product = make_product(established_shop(), price=2499, market_price=5000)

    w = warning(product, "low_price")

    assert w.tick is True
    assert w.text.startswith("超低价提醒：售价 ¥24.99，低于市场参考价 ¥50.00 的 50%。")
    assert w.figures == {"price": 2499, "reference": 5000, "source": "market_price", "ratio_bps": 5000}


def test_exactly_half_the_market_price_is_not_below_it():
    product = make_product(established_shop(), price=2500, market_price=5000)

    assert "low_price" not in codes(product)


def test_an_established_shop_with_default_rules_and_a_fair_price_shows_nothing():
    product = make_product(established_shop(), price=4800, market_price=5000)

    assert codes(product) == []


def _group(prices, *, title="网易一卡通 50元", category="game_card", shops=3):
    shop_list = [established_shop(orders=0) for _ in range(shops)]
    return [make_product(shop_list[i % shops], price=p, title=title, category=category) for i, p in enumerate(prices)]


def test_without_a_market_price_the_median_of_comparable_products_is_the_reference():
    _group([4800, 4900, 5000, 5000, 5100])  # 5 products, 3 shops, titles naming ¥50
    cheap = make_product(established_shop(), price=2400, title="网易 一卡通 ¥50 特价")

    w = warning(cheap, "low_price")

    # The group now holds 6 products (the cheap one too): median (4900 + 5000) / 2 = 4950.
    assert w.text.startswith("超低价提醒：售价 ¥24.00，低于平台同类商品（6 件）价格中位数 ¥49.50 的 50%。")
    assert w.figures == {"price": 2400, "reference": 4950, "source": "comparable_median", "ratio_bps": 5000, "comparables": 6, "comparable_shops": 4}


def test_too_few_comparable_products_give_no_median_warning():
    _group([4800, 4900, 5000])  # with the cheap one: 4 products, below the minimum of 5
    cheap = make_product(established_shop(), price=100, title="网易一卡通 50元")

    assert "low_price" not in codes(cheap)


def test_comparable_products_from_too_few_shops_give_no_median_warning():
    _group([4800, 4900, 5000, 5000, 5100], shops=1)
    cheap = make_product(established_shop(), price=100, title="网易一卡通 50元")  # 6 products, 2 shops < 3

    assert "low_price" not in codes(cheap)


def test_another_category_or_face_value_is_not_comparable():
    _group([4800, 4900, 5000, 5000, 5100])
    other_category = make_product(established_shop(), price=100, title="会员 50元", category="membership")
    other_face = make_product(established_shop(), price=100, title="网易一卡通 100元")
    no_face = make_product(established_shop(), price=100, title="网易一卡通 特价")

    assert [codes(p) for p in (other_category, other_face, no_face)] == [[], [], []]


def test_the_median_is_kept_per_group_when_a_product_changes_price():
    products = _group([4800, 4900, 5000, 5000, 5100])
    key = products[0].comparable_key
    assert key == "game_card|auto|5000"
    assert ComparablePrice.objects.get(key=key).median == 5000

    product_update(shop=products[4].shop, product_id=products[4].pk, data={"price": 9900})
    product_update(shop=products[3].shop, product_id=products[3].pk, data={"title": "网易一卡通 100元"})  # leaves the group

    row = ComparablePrice.objects.get(key=key)
    assert (row.median, row.products) == ((4900 + 5000) // 2, 4)
    assert ComparablePrice.objects.get(key="game_card|auto|10000").products == 1


def test_a_market_price_takes_precedence_over_the_median():
    _group([1000, 1000, 1000, 1000, 1000])  # the platform sells ¥50 cards at ¥10
    product = make_product(established_shop(), price=1000, title="网易一卡通 50元", market_price=5000)

    assert warning(product, "low_price").figures["source"] == "market_price"


# --- 新商家 ---------------------------------------------------------------------------------------


def test_a_shop_29_days_old_is_new_and_30_days_is_not():
    shop = make_shop()
    made = confirmed_orders(shop, 20)
    evidence.record_rows([("orders.order", o) for o in made])
    product = make_product(shop)

    clock.advance(dt.timedelta(days=29, hours=23))
    w = warning(product, "new_shop")
    assert w.figures == {"age_days": 29, "confirmed_orders": 20, "days_min": 30, "orders_min": 20}
    assert w.text == "新商家提醒：该店铺开店 29 天，已确认收货订单 20+ 笔（开店不足 30 天或成交不足 20 笔）。建议先小额试购，确认可用后再大量购买。"
    clock.advance(dt.timedelta(hours=1))
    assert "new_shop" not in codes(product)


def test_19_confirmed_orders_is_new_and_20_is_not():
    shop = established_shop(days=400, orders=19)
    product = make_product(shop)

    w = warning(product, "new_shop")
    assert w.figures["confirmed_orders"] == 19 and "已确认收货订单 19 笔" in w.text and "建议先小额试购" in w.text
    made = confirmed_orders(shop, 1, product=product)
    evidence.record_rows([("orders.order", o) for o in made])
    assert "new_shop" not in codes(product)


# --- verification and deposit ---------------------------------------------------------------------


def test_a_shop_without_the_verified_badge_warns():
    from kadun.merchants.models_onboarding import ShopBadge

    product = make_product(established_shop())
    assert "unverified_shop" not in codes(product)

    ShopBadge.objects.filter(shop_id=product.shop_id).delete()  # the badge lost (e.g. identity expired)

    w = warning(product, "unverified_shop")
    assert "未取得「已认证」标识" in w.text and w.figures == {"verified": True, "verified_badge": False}


def test_a_shop_below_its_deposit_requirement_warns_in_grace_and_after(settings):
    from kadun.merchants.deposit import deposit_refresh

    product = make_product(established_shop())
    settings.KADUN_DEPOSIT_MINIMUM = {"card_keys": 50_000, "services": 100_000, "game_accounts": 200_000}
    assert "deposit_short" not in codes(product)  # never refreshed short: nothing recorded

    deposit_refresh(shop_id=product.shop_id)
    w = warning(product, "deposit_short")
    # ¥500 minimum × 1.5 for a new shop's credit band (mid): the requirement the refresh recorded.
    assert w.text == "保证金不足：该店铺应缴保证金 ¥750.00，现有 ¥0.00，补缴宽限期内。出现纠纷时可用于赔付的保证金较少。"
    assert (w.figures["required"], w.figures["held"], w.figures["in_grace"]) == (75_000, 0, True)

    clock.advance(dt.timedelta(hours=settings.KADUN_DEPOSIT_GRACE_HOURS))
    assert warning(product, "deposit_short").figures["in_grace"] is False
    assert "已超过补缴宽限期" in warning(product, "deposit_short").text


# --- weaker rules ---------------------------------------------------------------------------------


def test_rules_weaker_than_the_platform_default_are_each_stated():
    shop = established_shop()
    product = make_product(shop, inspection_hours=12)
    policy_update(shop=shop, product_id=product.pk, rules={"refund_window_hours": 72, "defect_remedy": "replace", "merchant_response_hours": 48})

    w = warning(product, "weaker_rules")

    assert w.text == (
        "本商品的售后规则弱于平台默认：验货期只有 12小时（平台默认 1天），期满自动确认收货，请尽快验货；"
        "发货后 3天内才能申请退款（平台默认 7天）；卡密无效时只补发、不退款（平台默认可退款或补发）；"
        "商家回应退款申请的时限为 2天（平台默认 1天），等待时间更长。"
    )
    assert [x["rule"] for x in w.figures["weaknesses"]] == ["inspection_hours", "refund_window_hours", "defect_remedy", "merchant_response_hours"]


def test_stronger_rules_and_the_default_7_day_exclusion_are_no_weakness():
    shop = established_shop()
    product = make_product(shop, inspection_hours=48)
    policy_update(shop=shop, product_id=product.pk, rules={"refund_window_hours": 24 * 14, "defect_remedy": "refund"})

    assert "weaker_rules" not in codes(product)


def test_a_service_with_partial_refunds_at_milestones_states_them():
    shop = established_shop()
    product = make_product(shop, delivery="manual")
    policy_update(shop=shop, product_id=product.pk, rules={"milestones": [{"name": "开始代练", "refundable_bps": 5000}], "delivery_deadline_hours": 48})

    w = warning(product, "weaker_rules")

    assert "服务完成期限为 2天（平台默认 1天）" in w.text and "完成「开始代练」后最多只能退 50%" in w.text


# --- stored with the order, logged, enforced over HTTP --------------------------------------------


def test_the_warnings_shown_are_stored_with_the_order_and_logged_with_it():
    shop = make_shop()  # new
    product = make_product(shop, keys=2, price=2000, market_price=5000)

    order, _token, _url = buy(product, confirm_low_price=True)

    order.refresh_from_db()
    assert [w["code"] for w in order.checkout_warnings] == ["low_price", "new_shop"]
    assert order.checkout_warnings[0]["figures"]["reference"] == 5000
    assert order.checkout_warnings[0]["text"].startswith("超低价提醒：售价 ¥20.00，低于市场参考价 ¥50.00 的 50%。")
    ticked = order.checkout_confirmations.get(kind=CheckoutConfirmation.KIND_LOW_PRICE)
    assert ticked.text == "我已知悉并仍要购买：" + order.checkout_warnings[0]["text"]
    body = json.loads(Entry.objects.get(kind="order.placed", subject_id=order.pk).body)
    assert [w["code"] for w in body["warnings"]] == ["low_price", "new_shop"]
    assert body["warnings"][0]["figures"]["price"] == 2000
    assert body["warnings_sha256"] == hashlib.sha256("\n".join(w["text"] for w in order.checkout_warnings).encode()).hexdigest()
    confirmations = [json.loads(e.body) for e in Entry.objects.filter(kind="order.confirmation", subject_id=order.pk)]
    assert {c["confirmation"] for c in confirmations} == {"no_reason_exclusion", "low_price"}

    # Later changes do not rewrite what the buyer was shown.
    product_update(shop=shop, product_id=product.pk, data={"price": 4900})
    order.refresh_from_db()
    assert order.checkout_warnings[0]["figures"]["price"] == 2000


def test_an_order_without_warnings_stores_none_and_its_logged_body_has_no_warnings_key():
    product = make_product(established_shop(), keys=1)

    order, _t, _u = buy(product)

    order.refresh_from_db()
    assert order.checkout_warnings == []
    assert "warnings" not in json.loads(Entry.objects.get(kind="order.placed", subject_id=order.pk).body)


def test_the_api_refuses_a_low_price_order_without_the_tick_and_creates_nothing():
    product = make_product(established_shop(), keys=2, price=1000, market_price=5000)
    client = Client()

    refused = client.post("/api/orders", {"product_id": product.pk, **GUEST}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "low_price_confirmation_required"
    assert not Order.objects.filter(product=product).exists()

    made = client.post("/api/orders", {"product_id": product.pk, "confirm_low_price": True, **GUEST}, content_type="application/json")
    assert made.status_code == 201, made.content
    out = made.json()["order"]
    assert [w["code"] for w in out["checkout_warnings"]] == ["low_price"]
    assert [c["kind"] for c in out["checkout_confirmations"]] == ["no_reason_exclusion", "low_price"]


def test_the_api_preview_lists_the_warnings_and_the_ticks_needed():
    product = make_product(make_shop(), keys=1, price=1000, market_price=5000)

    preview = Client().get(f"/api/products/{product.pk}/warnings")

    assert preview.status_code == 200
    data = preview.json()
    assert [w["code"] for w in data["warnings"]] == ["low_price", "new_shop"]
    assert data["confirm_low_price_required"] is True and data["confirm_no_reason_exclusion_required"] is True
    assert Client().get("/api/products/999999/warnings").status_code == 404


def test_the_product_page_shows_the_warnings_and_checkout_needs_the_tick():
    product = make_product(established_shop(), keys=2, price=1000, market_price=5000)
    client = Client()

    page = client.get(reverse("web:product", args=[product.pk])).content.decode()
    assert page.index('id="checkout-warnings"') < page.index('id="checkout"')
    assert "售价 ¥10.00，低于市场参考价 ¥50.00 的 50%" in page and 'name="low_price_ok"' in page

    post = {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on"}
    refused = client.post(reverse("web:checkout", args=[product.pk]), post)
    assert refused.status_code == 400 and not Order.objects.filter(product=product).exists()
    assert "请勾选确认已知悉风险" in refused.content.decode()

    done = client.post(reverse("web:checkout", args=[product.pk]), {**post, "low_price_ok": "on"})
    assert done.status_code == 302
    order = Order.objects.get(product=product)
    assert order.checkout_confirmations.filter(kind="low_price", channel="web").exists()


def test_the_order_page_shows_the_stored_warnings_to_buyer_merchant_and_staff():
    shop = make_shop()
    product = make_product(shop, keys=1, price=1000, market_price=5000)
    buyer = make_user()
    order, _t, _u = buy(product, buyer=buyer, confirm_low_price=True)
    pages = {
        "buyer": (buyer, reverse("web:order", args=[order.order_no])),
        "merchant": (shop.owner, reverse("merchants:order", args=[order.order_no])),
        "staff": (make_user(staff_role="support"), reverse("backoffice:order", args=[order.order_no])),
    }
    for who, (user, url) in pages.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        html = client.get(url).content.decode()
        assert 'id="order-warnings"' in html, who
        assert "售价 ¥10.00，低于市场参考价 ¥50.00 的 50%" in html and "新商家提醒" in html, who
    assert Client().get(pages["buyer"][1]).status_code == 404  # a stranger sees nothing
