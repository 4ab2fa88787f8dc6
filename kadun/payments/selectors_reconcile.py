"""Reads for the staff console's 对账 pages: runs newest first, one run's differences."""
from __future__ import annotations

from django.db.models import Count

from kadun.payments.models import ReconciliationDifference, ReconciliationRun

RUNS_SHOWN = 100
DIFFERENCES_SHOWN = 500


def reconciliation_runs(*, provider: str = "", limit: int = RUNS_SHOWN) -> list[ReconciliationRun]:
    runs = ReconciliationRun.objects.order_by("-bill_date", "-pk")
    if provider:
        runs = runs.filter(provider=provider)
    return list(runs[:limit])


def reconciliation_run(run_id: int) -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(pk=run_id).first()


def run_differences(run: ReconciliationRun, *, kind: str = "", limit: int = DIFFERENCES_SHOWN) -> list[ReconciliationDifference]:
    items = run.differences.order_by("pk")
    if kind:
        items = items.filter(kind=kind)
    return list(items[:limit])


def run_kind_counts(run: ReconciliationRun) -> dict[str, int]:
    return dict(run.differences.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
