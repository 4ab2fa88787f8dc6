"""RefuseNulMiddleware: a NUL character never reaches PostgreSQL, in multipart forms too."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import buy, pay

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_nul_in_a_multipart_form_field_is_refused_on_a_page(product):
    """The refund form of the order page is multipart; its free text must not carry a NUL."""
    from kadun.aftersales.models import RefundRequest

    order, token, _ = buy(product)
    pay(order)
    client = Client()
    client.get(f"/o/{token}/")
    response = client.post(f"/orders/{order.order_no}/refund/", {"reason": "invalid_key", "statement": "卡密无效\x00", "client_key": "k1"})
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    assert not RefundRequest.objects.exists()


def test_nul_in_a_multipart_form_field_is_refused_by_the_api(product):
    from kadun.aftersales.models import RefundRequest

    order, token, _ = buy(product)
    pay(order)
    response = Client().post(
        f"/api/orders/{order.order_no}/refund-requests",
        {"reason": "invalid_key", "statement": "卡密无效\x00", "images": SimpleUploadedFile("shot.png", PNG, content_type="image/png")},
        headers={"X-Order-Token": token},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not RefundRequest.objects.exists()


def test_nul_bytes_inside_an_uploaded_file_are_not_refused(product):
    order, token, _ = buy(product)
    pay(order)
    response = Client().post(
        f"/api/orders/{order.order_no}/refund-requests",
        {"reason": "invalid_key", "statement": "卡密无效", "images": SimpleUploadedFile("shot.png", PNG, content_type="image/png")},
        headers={"X-Order-Token": token},
    )
    assert response.status_code != 422, response.content


# ninja parses a body as JSON whatever its Content-Type: an escaped NUL ("\u0000") is refused
# in every body that is neither multipart nor urlencoded.
ESCAPED_NUL_TYPES = ["text/plain", "application/octet-stream", None]


def _no_content_type_client() -> Client:
    """Django's test client always sends a Content-Type; this one sends none when given ""."""

    class Bare(Client):
        def _base_environ(self, **request):
            environ = super()._base_environ(**request)
            if environ.get("CONTENT_TYPE") == "":
                del environ["CONTENT_TYPE"]
            return environ

    return Bare()


def test_the_bare_client_sends_no_content_type(product, monkeypatch):
    from kadun.core import middleware

    seen = []
    monkeypatch.setattr(middleware, "_body_has_nul", lambda request: seen.append("CONTENT_TYPE" in request.META))
    _no_content_type_client().generic("POST", "/api/orders", b"{}", content_type="")
    assert seen == [False]


@pytest.mark.parametrize("content_type", ESCAPED_NUL_TYPES)
def test_an_escaped_nul_in_a_checkout_body_is_refused_whatever_its_content_type(product, content_type):
    from kadun.orders.models import Order

    body = f'{{"product_id": {product.pk}, "quantity": 1, "contact": "a\\u0000b@x.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": true}}'
    client = _no_content_type_client()
    response = client.generic("POST", "/api/orders", body.encode(), content_type=content_type or "")
    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "invalid_input"
    assert not Order.objects.exists()


@pytest.mark.parametrize("content_type", ESCAPED_NUL_TYPES)
def test_an_escaped_nul_in_a_refund_request_statement_is_refused(product, content_type):
    from kadun.aftersales.models import RefundRequest

    order, token, _ = buy(product)
    pay(order)
    body = f'{{"reason": "unrevealed", "statement": "卡密\\u0000无效", "key_ids": [{order.keys.first().pk}]}}'
    response = _no_content_type_client().generic(
        "POST", f"/api/orders/{order.order_no}/refund-requests", body.encode(), content_type=content_type or "", headers={"X-Order-Token": token}
    )
    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "invalid_input"
    assert not RefundRequest.objects.exists()


@pytest.mark.parametrize("content_type", ESCAPED_NUL_TYPES)
def test_an_escaped_nul_in_a_merchant_product_title_is_refused(shop, content_type):
    from kadun.accounts.services import api_key_create
    from kadun.catalog.models import Product

    _key, secret = api_key_create(user=shop.owner, name="t", scopes=["merchant"])
    body = '{"title": "新\\u0000商品", "price": 500, "delivery": "auto", "category": "game_card"}'
    response = _no_content_type_client().generic(
        "POST", "/api/merchant/products", body.encode(), content_type=content_type or "", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "invalid_input"
    assert not Product.objects.filter(shop=shop).exists()


def test_an_escaped_nul_in_a_urlencoded_body_is_refused(product):
    """Browsers percent-encode a backslash, so a raw ``\\u0000`` in a form body is never a form:
    ninja would read such a body as JSON."""
    from kadun.orders.models import Order

    body = f'{{"product_id": {product.pk}, "contact": "a\\u0000b@x.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": true}}'
    response = Client().generic("POST", "/api/orders", body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422, response.content[:300]
    assert not Order.objects.exists()


def test_malformed_multipart_to_the_api_is_a_json_422_without_a_traceback(product, caplog):
    response = Client().generic("POST", "/api/orders", b"--x\r\nnothing", content_type="multipart/form-data; boundary=")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], [r.getMessage() for r in caplog.records]


def test_malformed_multipart_to_a_page_is_a_400_without_a_traceback(product, caplog):
    response = Client().generic("POST", "/orders/lookup/", b"--x\r\nnothing", content_type="multipart/form-data; boundary=")
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], [r.getMessage() for r in caplog.records]


def test_a_json_body_sent_as_multipart_is_a_json_422_not_a_500(product):
    """The form parser at the door reads the stream; a JSON endpoint then finds no body. Whatever
    the multipart parser made of it, no NUL gets through and the client is told what is wrong."""
    from kadun.orders.models import Order

    body = f'{{"product_id": {product.pk}, "contact": "a\\u0000b@x.com", "query_password": "chaxun123", "confirm_no_reason_exclusion": true}}'
    response = Client(raise_request_exception=False).generic("POST", "/api/orders", body.encode(), content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not Order.objects.exists()


def test_a_body_over_the_size_limit_to_the_api_is_a_json_413_without_a_traceback(product, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"product_id": 1, "contact": "' + b"a" * 2048 + b'"}'
    response = Client().generic("POST", "/api/orders", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], [r.getMessage() for r in caplog.records]


def test_too_many_multipart_fields_to_the_api_is_a_json_422_without_a_traceback(product, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = Client().post("/api/orders", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], [r.getMessage() for r in caplog.records]
