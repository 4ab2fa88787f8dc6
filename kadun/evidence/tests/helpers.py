"""Builders for the evidence tests: entries written as the apps write them, and the sequencer run
until nothing is left."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from kadun.core import clock
from kadun.evidence import services
from kadun.evidence.models import Entry
from kadun.evidence.registry import Fact


def fact(n: int = 0, **extra) -> Fact:
    return Fact(kind="order.paid", subject_type="order", subject_id=1000 + n, actor_role="buyer", actor_id=7, body={"amount": 100 + n, **extra})


def append(n: int = 0, **extra) -> Entry:
    with transaction.atomic():
        return services.record_fact(fact(n, **extra))


def append_bulk(count: int, *, start: int = 0) -> None:
    """Many entries at once (as record_many writes them), for the large-tree tests."""
    now = clock.now()
    rows = [services._entry(fact(start + i), at=now + dt.timedelta(microseconds=i)) for i in range(count)]
    Entry.objects.bulk_create(rows, batch_size=2000)


def integrate_all() -> int:
    total = 0
    while n := services.entries_integrate():
        total += n
    return total
