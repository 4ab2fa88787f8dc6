"""Lost callbacks are harmless: over a thousand orders on one offline Alipay (signing as Alipay
does), 5 % of the payment notifications dropped and 10 % delivered twice (seeded), the sweeper
and the outbox worker run through the payment watch's 24 hours — every paid order is delivered
exactly once (one key, its money in escrow to the 分, one payment entry), the unpaid ones expire
with nothing moved, the books balance, and Alipay's 业务明细 for every day the world spans shows
no difference with our books (``kadun reconcile``)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Sum

from kadun.deadlines.models import Deadline
from kadun.inventory.models import CardKey
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry, Posting
from kadun.ledger.selectors import CheckReport, balance_of, balances_of, ledger_invariants
from kadun.notifications.models import OutboxMessage
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Payment, ReconciliationRun
from kadun.payments.states import PaymentStatus
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.lost_callbacks import lost_callbacks_world, world_run
from kadun.payments.tests.reconcile_helpers import SHANGHAI, reconcile
from kadun.payments.watch import KIND

pytestmark = pytest.mark.django_db
ORDERS = 1000


@pytest.fixture
def lost_world(alipay):  # noqa: F811
    """The world after the watch's 24 hours (reusable: ``kadun reconcile`` can be asserted on it)."""
    world = lost_callbacks_world(alipay, orders=ORDERS, seed=20261202)
    world.rounds = world_run(world)
    return world


def test_every_paid_order_is_delivered_exactly_once_and_the_unpaid_expire(lost_world):
    w = lost_world
    assert len(w.paid) + len(w.unpaid) == ORDERS
    # The seed gives every case enough orders to mean something.
    assert len(w.dropped) >= 30 and len(w.duplicated) >= 60 and len(w.unpaid) >= 50
    # Every notification delivered got Alipay's success word (a repeat too: it changes nothing).
    assert w.answers == {(200, "success"): len(w.paid) - len(w.dropped) + len(w.duplicated)}

    paid_ids = [o.pk for o in w.paid]
    unpaid_ids = [o.pk for o in w.unpaid]
    statuses = dict(Order.objects.filter(pk__in=paid_ids + unpaid_ids).values_list("pk", "status"))
    assert {statuses[pk] for pk in paid_ids} == {OrderStatus.DELIVERED}
    assert {statuses[pk] for pk in unpaid_ids} == {OrderStatus.EXPIRED}

    # One key each, and none for an unpaid order.
    keys = dict(CardKey.objects.filter(order_id__in=paid_ids + unpaid_ids).values_list("order_id").annotate(n=Count("id")))
    assert keys == {pk: 1 for pk in paid_ids}
    # The money: each paid order's escrow holds its amount to the 分, paid in by one entry.
    amounts = dict(Order.objects.filter(pk__in=paid_ids).values_list("pk", "amount"))
    escrow = balances_of([codes.escrow(pk) for pk in paid_ids + unpaid_ids])
    assert {pk: escrow.get(codes.escrow(pk), 0) for pk in paid_ids} == amounts
    assert not any(escrow.get(codes.escrow(pk), 0) for pk in unpaid_ids)
    entries = dict(JournalEntry.objects.filter(kind="payment", ref_type="order").values_list("ref_id").annotate(n=Count("id")))
    assert entries == {pk: 1 for pk in paid_ids}
    assert not JournalEntry.objects.filter(kind="refund").exists()
    assert balance_of(codes.external("alipay")) == -sum(amounts.values())

    # The dropped ones were found by asking: their evidence says so.
    payments = {p.order_id: p for p in Payment.objects.filter(order_id__in=paid_ids + unpaid_ids)}
    assert {payments[pk].status for pk in paid_ids} == {PaymentStatus.SUCCEEDED}
    assert {payments[pk].status for pk in unpaid_ids} == {PaymentStatus.PENDING}  # never marked failed
    assert all(payments[o.pk].gateway_trade_no == w.fake.trades[payments[o.pk].out_trade_no]["trade_no"] for o in w.paid)
    from kadun.evidence.models import Entry

    queried = set(Entry.objects.filter(kind="payment.notified", body__contains='"source":"query"').values_list("subject_id", flat=True))
    assert queried == {o.pk for o in w.dropped}

    # Books balanced; nothing left behind in the worker's queues.
    report = CheckReport()
    ledger_invariants(report)
    assert report.ok, report.problems
    assert Posting.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    watch = Deadline.objects.filter(kind=KIND)
    assert not watch.filter(fired_at__isnull=True).exists()  # the watch is over after 24 h
    assert not watch.filter(outcome="failed").exists()
    # Paid orders' checks were dropped when their notification came; the dropped and the unpaid were watched.
    assert set(watch.values_list("subject_id", flat=True)) == {payments[o.pk].pk for o in w.dropped + w.unpaid}

    # The gateway's statement against our books: every day from the first order to the last
    # credit (the clock is past it now, so each day's bill is published) — 0 differences.
    first = w.started_at.astimezone(SHANGHAI).date()
    last = max(p.paid_at for p in payments.values() if p.paid_at).astimezone(SHANGHAI).date()
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    for day in days:
        code, out, err = reconcile("alipay", day)
        assert code == 0, (day, out, err)
    runs = ReconciliationRun.objects.filter(provider="alipay")
    assert runs.count() == len(days) and not any(r.difference_count for r in runs)
    assert sum(r.matched for r in runs) == len(w.paid) == sum(r.lines_read for r in runs)
