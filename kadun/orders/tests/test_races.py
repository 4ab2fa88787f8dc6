"""Each pair of order changes that can race, with real threads on PostgreSQL: every guard sits in
the WHERE of the update that carries it, so exactly one side wins and the books agree.

- confirm × refund request: escrow is never released while the merchant is still asked;
- service overdue × delivery: a delivered service is never also refunded by the deadline;
- expiry × payment: a payment that lands at expiry either delivers or is refunded in full.
"""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, pay, signed_notification, together
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import refund_request_create, service_overdue
from kadun.aftersales.states import OPEN, Reason
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders import services
from kadun.orders.models import OrderEvent
from kadun.orders.states import OrderStatus
from kadun.payments.services import notification_handle

TRIALS = 20
pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_confirm_racing_a_refund_request_never_releases_escrow_under_it():
    product = make_product(keys=TRIALS, price=800)
    released_under_request = []
    for _ in range(TRIALS):
        order = pay(buy(product)[0])
        key = CardKey.objects.get(order=order)
        key_reveal(order=order, key_id=key.pk, actor="guest")  # revealed: the request goes to the merchant
        together(
            lambda o=order: services.order_confirm(order_id=o.pk, actor="guest"),
            lambda o=order, k=key.pk: refund_request_create(order=o, reason=Reason.NOT_AS_DESCRIBED, key_ids=[k], statement="与描述不符"),
        )
        order.refresh_from_db()
        request = RefundRequest.objects.filter(order=order, status__in=OPEN).first()
        assert request is not None  # confirmed first or not, the buyer's request is heard
        if order.status == OrderStatus.CONFIRMED and order.confirmed_at > request.created_at:
            released_under_request.append(order.order_no)  # released while the merchant was asked
        if order.status == OrderStatus.DELIVERED:
            assert order.refund_hold and balance_of(codes.escrow(order.pk)) == 800
    assert released_under_request == []
    assert platform_check().problems == []


def test_service_overdue_racing_delivery_never_both_delivers_and_refunds():
    product = make_product(delivery="manual", price=3000, refund_rules={"delivery_deadline_hours": 2})
    both = []
    for _ in range(TRIALS):
        clock.reset()
        order = pay(buy(product, buyer_inputs={"account": "player-1"})[0])
        services.order_accept(order=order, shop=product.shop)
        clock.advance(dt.timedelta(hours=3))
        together(
            lambda o=order: service_overdue(o.pk),
            lambda o=order: services.order_deliver(order=o, shop=product.shop, note="已完成代充"),
        )
        order.refresh_from_db()
        delivered = OrderEvent.objects.filter(order=order, kind="delivered").exists()
        if delivered and order.refunded_amount:
            both.append(order.order_no)
        assert order.status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED)
    assert both == []
    assert platform_check().problems == []


def test_payment_landing_at_expiry_delivers_or_refunds_in_full():
    product = make_product(keys=TRIALS, price=700)
    for _ in range(TRIALS):
        clock.reset()
        order, _, _ = buy(product)
        params = signed_notification(order)
        clock.advance(dt.timedelta(minutes=15, seconds=1))
        params = signed_notification(order)  # fresh timestamp at the moved clock
        together(lambda o=order: services.order_expire(order_id=o.pk), lambda p=params: notification_handle(provider="sandbox", params=p))
        order.refresh_from_db()
        if order.status == OrderStatus.DELIVERED:
            assert balance_of(codes.escrow(order.pk)) == 700 and order.refunded_amount == 0
        else:
            assert order.status == OrderStatus.REFUNDED and order.refunded_amount == 700
            assert balance_of(codes.escrow(order.pk)) == 0
            assert not CardKey.objects.filter(order=order, status="sold").exists()
    assert platform_check().problems == []


def test_confirm_sent_while_a_refund_request_is_being_written_waits_and_is_refused():
    """The exact interleaving: the request's transaction has set the hold but not committed
    when the buyer's 确认收货 arrives. The confirmation waits for it and finds the order held."""
    import threading
    import time

    from django.db import connection, transaction

    from kadun.core.errors import DomainError

    product = make_product(keys=1, price=800)
    order = pay(buy(product)[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="guest")
    written, answer = threading.Event(), {}

    def request_slowly():
        try:
            with transaction.atomic():
                refund_request_create(order=order, reason=Reason.NOT_AS_DESCRIBED, key_ids=[key.pk], statement="与描述不符")
                written.set()
                time.sleep(0.5)  # the confirmation arrives meanwhile
        finally:
            connection.close()

    def confirm_meanwhile():
        try:
            written.wait(10)
            services.order_confirm(order_id=order.pk, actor="guest")
            answer["outcome"] = "confirmed"
        except DomainError as exc:
            answer["outcome"] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=request_slowly), threading.Thread(target=confirm_meanwhile)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    order.refresh_from_db()
    assert answer["outcome"] == "refund_pending"
    assert order.status == OrderStatus.DELIVERED and balance_of(codes.escrow(order.pk)) == 800
    assert platform_check().problems == []
