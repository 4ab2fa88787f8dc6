"""验货 checkers: format patterns on RE2 (no ReDoS), validation at save, and the per-order rate
limit — through the services, the page and the API. The HTTP checker: test_checker_http.py."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, pay
from kadun.accounts.services import api_key_create
from kadun.catalog.errors import InvalidProduct
from kadun.catalog.models import Product
from kadun.catalog.services import checker_set
from kadun.inventory import checkers
from kadun.inventory.models import CardKey, VerificationReport
from kadun.inventory.services import key_verify, keys_import

pytestmark = pytest.mark.django_db

SECRET = "checker-signing-secret-0123456789"


def _api(user) -> Client:
    _key, secret = api_key_create(user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _sold(product, secret_text: str | None = None):
    """A paid guest order of one key (the given key text, if any). Returns (order, token, key)."""
    if secret_text is not None:
        keys_import(product=product, lines=[(1, secret_text)], source="test")
    order, token, _ = buy(product)
    order = pay(order)
    return order, token, CardKey.objects.get(order=order)


def _verify_api(token, order, key):
    return Client(headers={"X-Order-Token": token}).post(
        f"/api/orders/{order.order_no}/keys/{key.pk}/verify", {}, content_type="application/json"
    )


# --- format patterns: RE2 ------------------------------------------------------------------


def test_a_back_reference_is_refused_at_save_with_a_chinese_error(shop):
    product = make_product(shop)

    with pytest.raises(InvalidProduct) as refused:
        checker_set(shop=shop, product_id=product.pk, config={"kind": "format", "pattern": r"(\w)\1-\d+"})
    response = _api(shop.owner).put(
        f"/api/merchant/products/{product.pk}/checker", {"kind": "format", "pattern": r"(?=KEY)KEY-\d+"}, content_type="application/json"
    )

    assert refused.value.code == "invalid_checker" and "反向引用" in refused.value.message
    assert response.status_code == 400 and response.json()["code"] == "invalid_checker"
    assert Product.objects.get(pk=product.pk).checker == {"kind": "none"}


def test_a_pattern_over_300_characters_is_refused_not_cut(shop):
    product = make_product(shop)

    with pytest.raises(InvalidProduct) as refused:
        checker_set(shop=shop, product_id=product.pk, config={"kind": "format", "pattern": "A" * 299 + "|B+"})

    assert refused.value.code == "invalid_checker"
    assert Product.objects.get(pk=product.pk).checker == {"kind": "none"}


def test_the_catastrophic_pattern_is_accepted_and_answers_long_keys_correctly(shop):
    """``(a+)+$`` is harmless on RE2, so it is accepted; on Python's re, 60 characters never finish."""
    product = make_product(shop)
    checker_set(shop=shop, product_id=product.pk, config={"kind": "format", "pattern": "(a+)+$"})
    order, _token, key = _sold(product, "a" * 60 + "!")

    report = key_verify(order=order, key_id=key.pk)

    assert report.result == "invalid"
    assert checkers.run(Product.objects.get(pk=product.pk).checker, "a" * 400, product.pk).result == "valid"


def test_format_checks_match_the_whole_key(shop):
    config = {"kind": "format", "pattern": r"KEY-\d{4}"}

    assert [checkers.run(config, key, 1).result for key in ("KEY-1234", "KEY-12345", "xKEY-1234", "KEY-12")] == [
        "valid", "invalid", "invalid", "invalid",
    ]


def test_a_stored_pattern_re2_cannot_compile_answers_error_not_500(shop):
    product = make_product(shop, keys=1)
    Product.objects.filter(pk=product.pk).update(checker={"kind": "format", "pattern": r"(K)\1"})  # saved before RE2
    order, token, key = _sold(product)

    response = _verify_api(token, order, key)

    assert response.status_code == 200 and response.json()["result"] == "error"
    assert VerificationReport.objects.get(order=order).result == "error"


def test_a_key_longer_than_the_cap_is_not_checked(settings):
    settings.KADUN_CHECK_MAX_KEY_CHARS = 20

    assert checkers.run({"kind": "format", "pattern": ".*"}, "x" * 21, 1).result == "error"
    assert checkers.run({"kind": "format", "pattern": ".*"}, "x" * 20, 1).result == "valid"


# --- rate limit -----------------------------------------------------------------------------


def test_verify_is_rate_limited_per_order_through_the_api(shop, settings):
    settings.KADUN_VERIFY_PER_ORDER_PER_HOUR = 2
    product = make_product(shop, keys=3, checker={"kind": "format", "pattern": r"KEY-.*"})
    order, token, key = _sold(product)

    answers = [_verify_api(token, order, key) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and "分钟后再试" in answers[2].json()["message"]
    assert int(answers[2]["Retry-After"]) > 0
    assert VerificationReport.objects.filter(order=order).count() == 2


def test_the_page_and_the_api_share_the_verify_limit(shop, settings):
    settings.KADUN_VERIFY_PER_ORDER_PER_HOUR = 1
    product = make_product(shop, keys=3, checker={"kind": "format", "pattern": r"KEY-.*"})
    order, token, key = _sold(product)
    page = Client()
    page.get(reverse("web:order_open", args=[token]))

    first = _verify_api(token, order, key)
    second = page.post(reverse("web:verify_key", args=[order.order_no, key.pk]), follow=True)

    assert first.status_code == 200
    assert "验货过于频繁" in second.content.decode()
    assert VerificationReport.objects.filter(order=order).count() == 1


def test_another_orders_checks_do_not_count(shop, settings):
    settings.KADUN_VERIFY_PER_ORDER_PER_HOUR = 1
    product = make_product(shop, keys=3, checker={"kind": "format", "pattern": r"KEY-.*"})
    first, token1, key1 = _sold(product)
    second, token2, key2 = _sold(product)

    assert _verify_api(token1, first, key1).status_code == 200
    assert _verify_api(token2, second, key2).status_code == 200
