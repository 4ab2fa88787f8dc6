"""Reveal and withdrawal exclude each other: a buyer never keeps both the key and the refund.

A one-click refund of an unrevealed key and a 查看卡密 sent at the same moment, with real
threads, on SQLite and on PostgreSQL: in every trial either the reveal returned the plaintext and
the refund was refused, or the refund went through and the reveal was refused. Never both.
"""
from __future__ import annotations


import pytest

from conftest import buy, make_product, pay, together
from kadun.aftersales.services import refund_request_create
from kadun.aftersales.states import Reason, RequestStatus
from kadun.backoffice.selectors import platform_check
from kadun.core.errors import DomainError
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal, keys_replace
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

TRIALS = 20
pytestmark = pytest.mark.django_db(transaction=True)




def _reveal(order, key_id):
    return lambda: key_reveal(order=order, key_id=key_id, actor="guest", ip="203.0.113.9")[1]


def _instant_refund(order, key_id):
    return lambda: refund_request_create(order=order, reason=Reason.UNREVEALED, key_ids=[key_id])


def test_reveal_and_one_click_refund_at_once_never_both():
    product = make_product(keys=TRIALS, price=500)
    both, outcomes = [], {"revealed": 0, "refunded": 0}
    for _ in range(TRIALS):
        order = pay(buy(product)[0])
        key = CardKey.objects.get(order=order)
        secret, request = together(_reveal(order, key.pk), _instant_refund(order, key.pk))
        order.refresh_from_db()
        got_secret = isinstance(secret, str)
        refunded = order.status == OrderStatus.REFUNDED
        if got_secret and refunded:
            both.append(order.order_no)
        outcomes["revealed" if got_secret else "refunded"] += 1
        if got_secret:
            # The refund was refused cleanly: no money moved, or it was judged on the revealed key.
            assert order.refunded_amount == 0
            assert isinstance(request, DomainError) or request.status != RequestStatus.APPROVED
        else:
            assert refunded and order.refunded_amount == 500
    assert both == []
    assert platform_check().problems == []


def test_reveal_and_replacement_at_once_never_reveal_a_withdrawn_key():
    """补发 withdraws the old key: a reveal racing it either came first or is refused."""
    product = make_product(keys=TRIALS * 2, price=500)
    late = []
    for _ in range(TRIALS):
        order = pay(buy(product)[0])
        key = CardKey.objects.get(order=order)
        secret, _new = together(_reveal(order, key.pk), lambda o=order, k=key.pk: keys_replace(order=o, key_ids=[k]))
        key.refresh_from_db()
        if isinstance(secret, str) and key.first_revealed_at is not None and key.withdrawn_at is not None:
            if key.reveals.filter(at__gte=key.withdrawn_at).exists():
                late.append(order.order_no)
    assert late == []
    assert platform_check().problems == []


def test_a_withdrawn_key_cannot_be_revealed():
    product = make_product(keys=1, price=500)
    order = pay(buy(product)[0])
    key = CardKey.objects.get(order=order)
    refund_request_create(order=order, reason=Reason.UNREVEALED, key_ids=[key.pk])
    with pytest.raises(DomainError) as caught:
        key_reveal(order=order, key_id=key.pk, actor="guest")
    assert caught.value.code == "key_not_found"
    assert key.reveals.count() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED


def test_reveal_and_refund_through_the_api_at_once_never_both():
    """The guest's two requests over HTTP (X-Order-Token), as a script would send them."""
    import json

    from django.test import Client

    product = make_product(keys=TRIALS, price=300)
    both = []
    for trial in range(TRIALS):
        order, token, _ = buy(product, contact=f"guest{trial}@example.com")  # one buyer each: per-buyer limits don't interfere
        pay(order)
        key = CardKey.objects.get(order=order)
        headers = {"X-Order-Token": token}
        reveal, refund = together(
            lambda headers=headers, order=order, key=key: Client(headers=headers).post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal"),
            lambda headers=headers, order=order, key=key: Client(headers=headers).post(
                f"/api/orders/{order.order_no}/refund-requests", json.dumps({"reason": "unrevealed", "key_ids": [key.pk]}),
                content_type="application/json",
            ),
        )
        assert reveal.status_code in (200, 404) and refund.status_code in (201, 409)
        order.refresh_from_db()
        if reveal.status_code == 200 and order.refunded_amount:
            both.append(order.order_no)
    assert both == []
    assert platform_check().problems == []
