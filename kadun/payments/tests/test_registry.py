"""payments announces a succeeded payment to the handler orders registered; it never imports orders."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from kadun.orders.services import order_on_paid
from kadun.payments import registry


def test_the_order_handler_is_registered_when_the_apps_are_ready():
    assert registry._handlers == [order_on_paid]


def test_without_a_handler_a_succeeded_payment_is_an_error_not_silence(monkeypatch):
    monkeypatch.setattr(registry, "_handlers", [])
    with pytest.raises(ImproperlyConfigured):
        registry.payment_succeeded(order_id=1)
