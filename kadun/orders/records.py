"""What every order change writes beside itself: the event row, and the lock it takes first.

Used by the order's services (``services.py``, ``release.py``); other apps lock an order through
``orders.services.order_lock``.
"""
from __future__ import annotations

from django.db.models import QuerySet

from kadun.core import clock
from kadun.core.db import is_postgres
from kadun.evidence import services as evidence
from kadun.orders import evidence as _sources  # noqa: F401  (registers the order's evidence sources)
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import Actor


def event_write(order_id: int, kind: str, *, actor: str, frm: str = "", to: str = "", user=None, note: str = "", log: bool = True) -> OrderEvent:
    """The event row and its evidence entry (``log=False``: the caller logs it with other facts
    in one statement, as checkout does)."""
    event = OrderEvent.objects.create(
        order_id=order_id, kind=kind, from_status=frm, to_status=to, actor=actor,
        actor_user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        note=note[:300], at=clock.now(),
    )
    if log:
        evidence.record("orders.event", event)
    return event


def events_write(rows: list[tuple[int, str, str, str, str]], *, actor: str = Actor.SYSTEM, user=None) -> None:
    """(order id, kind, from, to, note) events by one actor, at the same moment."""
    at = clock.now()
    actor_user = user if user is not None and getattr(user, "is_authenticated", False) else None
    events = OrderEvent.objects.bulk_create([
        OrderEvent(order_id=oid, kind=kind, from_status=frm, to_status=to, actor=actor, actor_user=actor_user, note=note[:300], at=at)
        for oid, kind, frm, to, note in rows
    ])
    evidence.record_many("orders.event", events)  # one INSERT for the batch, one entry per event


def locked(order_ids: list[int], **state) -> QuerySet:
    """The orders, locked for this transaction in id order (PostgreSQL; SQLite has one writer at a
    time). ``FOR NO KEY UPDATE``: it waits for and blocks other changes of the orders, but not the
    foreign-key checks of rows that point at them (a reveal log row, a refund), so a reveal and a
    refund of the same order cannot deadlock on it."""
    qs = Order.objects.filter(pk__in=order_ids, **state).order_by("pk")
    return qs.select_for_update(no_key=True) if is_postgres() else qs
