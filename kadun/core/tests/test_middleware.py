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
