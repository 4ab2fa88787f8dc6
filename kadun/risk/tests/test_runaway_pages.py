"""跑路 pages through HTTP: risk staff freeze, unfreeze and declare from the console (with the
confirmation); other staff 403, everyone else 404; the merchant's banner; the buyers' notice on
the product page and the order; the report as CSV; the same over the API."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_user
from kadun.deadlines.services import deadlines_sweep_all
from kadun.orders.models import Order
from kadun.risk.models import ShopFreeze
from kadun.risk.selectors_freeze import shop_frozen
from kadun.risk.tests.runaway_helpers import delivered

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def _risk():
    return _client(make_user(staff_role="risk"))


def test_risk_staff_freeze_and_unfreeze_from_the_console():
    product = make_product(keys=1)
    c = _risk()
    page = c.get(reverse("risk:runaway_shop", args=[product.shop_id]))
    assert page.status_code == 200 and "冻结店铺" in page.content.decode()
    assert c.post(reverse("risk:runaway_freeze", args=[product.shop_id]), {"reason": "多名买家投诉联系不上"}).status_code == 302
    assert shop_frozen(product.shop_id)
    home = c.get(reverse("risk:runaway_home")).content.decode()
    assert "多名买家投诉联系不上" in home and product.shop.name in home
    c.post(reverse("risk:runaway_unfreeze", args=[product.shop_id]), {"note": ""})
    assert shop_frozen(product.shop_id)  # a reason is required
    c.post(reverse("risk:runaway_unfreeze", args=[product.shop_id]), {"note": "商家已回应"})
    assert not shop_frozen(product.shop_id) and ShopFreeze.objects.get().lift_note == "商家已回应"


def test_declaring_needs_the_shop_name_and_then_refunds_through_the_sweeper():
    product = make_product(keys=2)
    order = delivered(product)
    c = _risk()
    url = reverse("risk:runaway_declare", args=[product.shop_id])
    c.post(url, {"reason": "跑路", "confirm_name": "不对"})
    assert not ShopFreeze.objects.exists()
    c.post(url, {"reason": "跑路", "notice": "本店已跑路，平台退款", "confirm_name": product.shop.name})
    deadlines_sweep_all()
    assert Order.objects.get(pk=order.pk).status == "refunded"
    page = c.get(reverse("risk:runaway_shop", args=[product.shop_id])).content.decode()
    assert "已退款 1 单" in page and order.order_no in page
    csv = c.get(reverse("risk:runaway_report_csv", args=[product.shop_id])).content.decode("utf-8-sig")
    assert order.order_no in csv and "TOTAL" in csv and "10.00" in csv


def test_other_staff_get_403_and_others_404():
    product = make_product(keys=1)
    url = reverse("risk:runaway_shop", args=[product.shop_id])
    assert _client(make_user(staff_role="support")).get(url).status_code == 403
    assert _client(product.shop.owner).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert _client(make_user(staff_role="support")).post(reverse("risk:runaway_freeze", args=[product.shop_id]), {"reason": "x"}).status_code == 403
    assert not shop_frozen(product.shop_id)


def test_the_merchant_sees_the_frozen_banner_and_why():
    product = make_product(keys=1)
    _risk().post(reverse("risk:runaway_freeze", args=[product.shop_id]), {"reason": "逾期未处理退款过多"})
    page = _client(product.shop.owner).get(reverse("merchants:dashboard")).content.decode()
    assert 'id="freeze-banner"' in page and "逾期未处理退款过多" in page


def test_buyers_see_the_notice_on_the_product_and_their_order():
    product = make_product(keys=2)
    buyer = make_user()
    order = delivered(product, buyer=buyer)
    _risk().post(reverse("risk:runaway_declare", args=[product.shop_id]),
                 {"reason": "跑路", "notice": "本店已跑路，平台退款", "confirm_name": product.shop.name})
    shop_page = Client().get(reverse("web:product", args=[product.pk])).content.decode()
    assert "本店已跑路，平台退款" in shop_page
    order_page = _client(buyer).get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="runaway-notice"' in order_page and "全额原路退款" in order_page


def test_api_staff_freeze_detail_and_report():
    product = make_product(keys=2)
    delivered(product)
    c = _risk()
    base = f"/api/staff/runaway/shops/{product.shop_id}"
    r = c.post(base + "/freeze", json.dumps({"reason": "API 冻结"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["freeze"]["reason"] == "API 冻结"
    r = c.post(base + "/declare", json.dumps({"reason": "跑路", "confirm_name": "错"}), content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "runaway_confirm_required"
    r = c.post(base + "/declare", json.dumps({"reason": "跑路", "confirm_name": product.shop.name}), content_type="application/json")
    assert r.status_code == 200 and r.json()["disposal"]["total"] == 1
    deadlines_sweep_all()
    report = c.get(base + "/report").json()
    assert report["refunded"] == 1000 and report["totals"]["escrow"] == 1000
    r = c.post(base + "/unfreeze", json.dumps({"note": "想解冻"}), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "runaway_disposal_declared"


def test_api_refuses_other_staff_and_api_keys():
    product = make_product(keys=1)
    base = f"/api/staff/runaway/shops/{product.shop_id}"
    assert _client(make_user(staff_role="support")).get(base).json()["code"] == "not_risk_staff"
    assert Client().get(base).status_code == 401
