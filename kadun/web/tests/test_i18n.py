"""English through the language switch: pages zh-hans first, English after POST /i18n/setlang/.

Data (product titles, shop names, refund-rule clauses, order status labels) stays as entered;
the assertions are about the UI strings the catalogue translates.
"""
from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from conftest import buy, make_product, make_user, pay
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db

PO = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def english(client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


def page(client: Client, url: str, method: str = "get", **data) -> str:
    call = getattr(client, method)
    response = call(url, data, follow=True) if data else call(url, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def assert_english(body: str, present: list[str], absent: list[str]) -> None:
    assert '<html lang="en">' in body
    for text in present:
        assert text in body, text
    for text in absent:
        assert text not in body, text


def checkout(client: Client, product) -> str:
    return page(client, f"/p/{product.pk}/buy/", "post", quantity="1", contact="guest@example.com", query_password="chaxun123", no_reason_waived="on")


# -- the pages, in English ----------------------------------------------------------------


def test_storefront_in_english(product):
    body = page(english(), "/")
    assert_english(
        body,
        ["All products", "Search", "Find my order", "Log in", "All times are Beijing time", product.title],
        ["全部商品", "订单查询", "登录", "时间均为北京时间", "暂无商品"],
    )
    assert 'value="zh-hans">中文</button>' in body  # the switch now offers the way back


def test_product_page_in_english(product):
    body = page(english(), f"/p/{product.pk}/")
    assert_english(
        body,
        ["Refund rules", "Escrow", "Place order", "Lookup password", "Quantity", "Inspection period"],
        ["退款规则", "担保交易", "提交订单", "查询密码", "购买数量", "验货期"],
    )


def test_checkout_created_page_in_english(product):
    body = checkout(english(), product)
    assert_english(
        body,
        ["Order created", "Amount due", "Save your order link", "Pay now", "View order"],
        ["订单已创建", "应付金额", "请保存您的订单链接", "去支付", "请在"],
    )


def test_order_page_in_english_with_plural_for_unviewed_keys(shop):
    product = make_product(shop, keys=3)
    client = english()
    checkout(client, product)
    order = pay(Order.objects.get())
    body = page(client, f"/orders/{order.order_no}/")
    assert_english(
        body,
        ["Show key", "Confirm receipt", "In escrow: the merchant isn't paid until you confirm receipt",
         "You have 1 unviewed key;", "Unviewed: refund in one click", "Refund rules at order time"],
        ["查看卡密", "确认收货后", "平台担保中", "尚未查看", "一键退款", "下单时的退款规则"],
    )


def test_order_page_plural_form_for_two_keys(shop):
    product = make_product(shop, keys=3)
    client = english()
    page(client, f"/p/{product.pk}/buy/", "post", quantity="2", contact="guest@example.com", query_password="chaxun123", no_reason_waived="on")
    order = pay(Order.objects.get())
    body = page(client, f"/orders/{order.order_no}/")
    assert "You have 2 unviewed keys;" in body and "the keys are voided" in body


def test_lookup_page_in_english(db):
    body = page(english(), "/orders/lookup/")
    assert_english(
        body,
        ["Find my order", "Order no.", "Lookup password", "Guests: enter the order number"],
        ["订单号", "查询密码", "游客订单"],
    )


def test_merchant_dashboard_in_english(shop):
    make_product(shop, keys=1)
    client = Client()
    client.force_login(shop.owner, backend="django.contrib.auth.backends.ModelBackend")
    body = page(english(client), "/merchant/")
    assert_english(
        body,
        ["Merchant center", "Overview", "In escrow (not yet confirmed)", "Available balance", "My products (1)", "New product"],
        ["商家后台", "概览", "担保中", "可用余额", "我的商品", "发布商品"],
    )


def test_staff_orders_page_in_english(product):
    order, _, _ = buy(product)
    pay(order)
    client = Client()
    client.force_login(make_user(staff_role="support"), backend="django.contrib.auth.backends.ModelBackend")
    body = page(english(client), "/staff/")
    assert_english(
        body,
        ["Staff console", "All orders", "Filter", "Order no. or shop name", "All statuses", order.order_no],
        ["平台后台", "全部订单", "筛选", "订单号或店铺名", "全部状态"],
    )


# -- the default stays Chinese ------------------------------------------------------------


def test_default_is_chinese_with_chinese_accept_language(product):
    body = page(Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"), f"/p/{product.pk}/")
    assert '<html lang="zh-hans">' in body
    assert "提交订单" in body and "担保交易" in body and "时间均为北京时间" in body
    assert "Place order" not in body and "Escrow" not in body
    assert 'value="en">English</button>' in body


def test_default_without_accept_language_is_chinese(db):
    body = page(Client(), "/")
    assert '<html lang="zh-hans">' in body and "全部商品" in body and "All products" not in body


def test_switching_back_to_chinese(db):
    client = english()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    body = page(client, "/")
    assert "全部商品" in body and "All products" not in body


# -- the catalogue itself -----------------------------------------------------------------


def _po_entries() -> list[dict]:
    """Entries of the .po (header and obsolete `#~` entries left out): msgid, plural, msgstrs, flags."""
    entries = []
    for block in re.split(r"\n\s*\n", PO.read_text(encoding="utf-8")):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid") for line in lines):
            continue
        entry = {"flags": "", "msgid": "", "msgid_plural": None, "msgstr": {}}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            else:
                m = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt)\s+(".*")$', line)
                if m:
                    key, text = m.group(1), ast.literal_eval(m.group(2))
                else:
                    text = ast.literal_eval(line)
                if key.startswith("msgstr"):
                    entry["msgstr"][key] = entry["msgstr"].get(key, "") + text
                elif key in ("msgid", "msgid_plural"):
                    entry[key] = (entry[key] or "") + text
        if entry["msgid"]:
            entries.append(entry)
    return entries


def test_every_msgid_is_translated_and_none_is_fuzzy():
    entries = _po_entries()
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not e["msgstr"] or not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    plurals = [e for e in entries if e["msgid_plural"] is not None]
    assert plurals and all(set(e["msgstr"]) == {"msgstr[0]", "msgstr[1]"} for e in plurals)


def test_translations_keep_every_placeholder():
    placeholder = re.compile(r"%%|%\(\w+\)s|%s|%d")
    for e in _po_entries():
        wanted = sorted(placeholder.findall(e["msgid"]))
        for text in e["msgstr"].values():
            assert sorted(placeholder.findall(text)) == wanted, e["msgid"]


def test_compiled_catalogue_matches_the_po():
    """The committed .mo is compiled from the committed .po (re-run compilemessages after editing)."""
    with MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for e in _po_entries():
        if e["msgid_plural"] is None:
            assert catalog.gettext(e["msgid"]) == e["msgstr"]["msgstr"], e["msgid"]
        else:
            assert catalog.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr"]["msgstr[0]"]
            assert catalog.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr"]["msgstr[1]"]
    with translation.override("en"):
        assert translation.gettext("订单查询") == "Find my order"
