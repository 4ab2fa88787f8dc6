"""异常订单预警 counts bursts per device and per address: checkout stores, with each order, the
keyed hashes of the device cookie and of the address it came from — never the values."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_product
from kadun.evidence import privacy
from kadun.orders.models import Order
from kadun.orders.services import order_create

pytestmark = pytest.mark.django_db


def test_a_checkout_page_stores_the_device_and_address_hashes_not_the_values():
    product = make_product(keys=2)
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.get(f"/p/{product.pk}/")  # the first page sets the device cookie
    device = client.cookies["kd_dev"].value
    client.post(f"/p/{product.pk}/buy/", {"quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123",
                                          "no_reason_waived": "on"}, follow=True)
    order = Order.objects.get()
    assert order.device_hash == privacy.keyed(device, "device") and order.ip_hash == privacy.ip("203.0.113.9")
    stored = " ".join(str(v) for v in Order.objects.filter(pk=order.pk).values().get().values())
    assert device not in stored and "203.0.113.9" not in stored


def test_an_order_placed_outside_a_request_has_neither_hash():
    order, _, _ = order_create(product_id=make_product(keys=1).pk, quantity=1, buyer=None, contact="g@example.com",
                               query_password="chaxun123", confirm_no_reason_exclusion=True)
    assert (order.ip_hash, order.device_hash) == ("", "")
