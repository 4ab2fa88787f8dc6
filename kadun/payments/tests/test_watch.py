"""The payment watch against the offline Alipay: a lost notification is found by asking, on the
back-off from the payment's creation; what the query answers is checked and credited exactly as
a notification is; a pending answer, a gateway error or a wrong amount change nothing; a late
answer after the order expired is refunded; the watch ends after 24 h; and a notification and a
query arriving together (threads, PostgreSQL) deliver once."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import buy, make_product, together
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep_all
from kadun.evidence.models import Entry
from kadun.inventory.models import CardKey
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.states import OrderStatus
from kadun.payments import watch
from kadun.payments.models import Payment, Refund
from kadun.payments.services import notification_handle
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.gateway_fixtures import alipay, post_notify  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def checkout(fake, *, price=1010, pay=True):
    order, _token, pay_url = buy(make_product(keys=2, price=price), provider="alipay")
    fake.open(pay_url)
    if pay:
        fake.pay(order.payment.out_trade_no)
    return order


def at(payment, delta):
    """Move the clock to ``delta`` after the payment's creation; the sweeper and the worker run."""
    clock.advance(payment.created_at + delta - clock.now())
    deadlines_sweep_all()
    outbox_deliver_all()


def watch_deadline(payment):
    return Deadline.objects.filter(kind=watch.KIND, subject_id=payment.pk).first()


def test_a_lost_notification_is_found_by_asking_and_credited_once(alipay):  # noqa: F811
    order = checkout(alipay)
    payment = order.payment
    assert watch_deadline(payment).due_at == payment.created_at + 2 * MIN
    at(payment, 2 * MIN + dt.timedelta(seconds=1))
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and CardKey.objects.filter(order=order).count() == 1
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_trade_no == alipay.trades[payment.out_trade_no]["trade_no"]
    assert balance_of(codes.escrow(order.pk)) == 1010 and balance_of(codes.external("alipay")) == -1010
    fact = Entry.objects.get(kind="payment.notified", subject_id=order.pk)
    assert '"source":"query"' in fact.body and '"outcome":"succeeded"' in fact.body
    assert watch_deadline(payment).outcome == "queued"
    # The notification arrives after all: answered success, nothing moves twice.
    assert post_notify("alipay", alipay.notification(payment.out_trade_no)) == (200, "success")
    assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1
    assert CardKey.objects.filter(order=order).count() == 1
    # Paid: no check is left to make.
    at(payment, 3 * dt.timedelta(hours=1))
    assert Deadline.objects.filter(kind=watch.KIND, subject_id=payment.pk, fired_at__isnull=True).count() == 0


def test_a_notification_drops_the_watch(alipay):  # noqa: F811
    order = checkout(alipay)
    assert post_notify("alipay", alipay.notification(order.payment.out_trade_no)) == (200, "success")
    assert watch_deadline(order.payment) is None


def test_a_pending_answer_changes_nothing_and_the_next_check_follows_the_back_off(alipay):  # noqa: F811
    order = checkout(alipay, pay=False)
    payment = order.payment
    at(payment, 2 * MIN + dt.timedelta(seconds=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not JournalEntry.objects.filter(ref_id=order.pk).exists()
    deadline = watch_deadline(payment)
    assert deadline.fired_at is None and deadline.due_at == payment.created_at + 5 * MIN


def test_a_gateway_error_is_asked_again_later_never_failed(alipay, settings):  # noqa: F811
    order = checkout(alipay)
    payment = order.payment
    settings.KADUN_ALIPAY_GATEWAY = "http://127.0.0.1:9/gateway.do"  # nothing listens: the call fails
    at(payment, 2 * MIN + dt.timedelta(seconds=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert watch_deadline(payment).due_at == payment.created_at + 5 * MIN
    settings.KADUN_ALIPAY_GATEWAY = alipay.gateway  # the gateway is back
    at(payment, 5 * MIN + dt.timedelta(seconds=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and balance_of(codes.escrow(order.pk)) == 1010


def test_an_answer_for_another_amount_credits_nothing_and_ends_the_watch(alipay):  # noqa: F811
    order = checkout(alipay)
    payment = order.payment
    alipay.trades[payment.out_trade_no]["total_amount"] = "0.01"  # the gateway (signed) says 1 分 was paid
    at(payment, 2 * MIN + dt.timedelta(seconds=1))
    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and order.status == OrderStatus.PENDING_PAYMENT
    assert not JournalEntry.objects.filter(ref_id=order.pk).exists() and not CardKey.objects.filter(order=order).exists()
    assert watch_deadline(payment).fired_at is not None  # not rearmed: staff look at the logged mismatch


def test_a_result_found_after_the_order_expired_is_refunded_in_full(alipay):  # noqa: F811
    order = checkout(alipay, pay=False)
    payment = order.payment
    at(payment, 16 * MIN)  # pending at 2, 5 and 10 minutes; then the order expired
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    alipay.pay(payment.out_trade_no)  # the buyer paid late, and the notification is lost
    at(payment, 30 * MIN + dt.timedelta(seconds=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == 1010
    assert [(r.amount, r.reason) for r in Refund.objects.filter(order=order)] == [(1010, "late_payment")]
    assert balance_of(codes.escrow(order.pk)) == 0 and not CardKey.objects.filter(order=order).exists()
    assert [(r["out_trade_no"], r["amount"]) for r in alipay.refunds.values()] == [(payment.out_trade_no, "10.10")]  # sent by the outbox


def test_the_watch_asks_on_its_back_off_and_ends_after_24_hours(alipay, monkeypatch):  # noqa: F811
    order = checkout(alipay, pay=False)
    payment = order.payment
    asked = []
    real = alipay._alipay_trade_query
    monkeypatch.setattr(alipay, "_alipay_trade_query", lambda biz: asked.append(clock.now()) or real(biz))
    for step in watch.AFTER_CREATION:
        at(payment, step + dt.timedelta(seconds=1))
    at(payment, 48 * dt.timedelta(hours=1))
    assert len(asked) == len(watch.AFTER_CREATION) == 10
    assert watch_deadline(payment).fired_at is not None
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # never marked failed by asking


def test_next_check_at_includes_the_quick_checks_after_a_click():
    created = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)
    p = Payment(created_at=created, buyer_says_paid_at=created + 20 * MIN)
    assert watch.next_check_at(p, after=created + 20 * MIN) == created + 21 * MIN
    assert watch.next_check_at(p, after=created + 21 * MIN) == created + 23 * MIN
    assert watch.next_check_at(p, after=created + 23 * MIN) == created + 30 * MIN
    assert watch.next_check_at(p, after=created + 24 * dt.timedelta(hours=1)) is None


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_a_query_and_a_notification_arriving_together_deliver_once(alipay):  # noqa: F811
    from kadun.payments import providers

    for _round in range(5):
        order = checkout(alipay)
        payment = Payment.objects.get(pk=order.payment.pk)
        params = alipay.notification(payment.out_trade_no)
        answer = providers.get("alipay").query(payment=payment)  # the gateway's signed answer, in hand
        assert answer.status == "paid" and answer.amount == 1010

        def by_query(payment=payment, answer=answer):
            from django.db import transaction

            with transaction.atomic():
                return watch.query_apply(payment, answer)

        outcomes = together(by_query, lambda params=params: notification_handle(provider="alipay", params=params))
        assert sorted(outcomes) == ["delivered", "duplicate"], outcomes
        assert JournalEntry.objects.filter(kind="payment", ref_id=order.pk).count() == 1
        assert CardKey.objects.filter(order=order).count() == 1
        assert balance_of(codes.escrow(order.pk)) == 1010
        assert Entry.objects.filter(kind="payment.notified", subject_id=order.pk).count() == 1
