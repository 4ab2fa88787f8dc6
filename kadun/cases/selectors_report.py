"""Reads of cases for the public transparency report (kadun.report): when each claim started,
outcomes by kind, SLA clocks, and the final decisions."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from kadun.cases.models import Case, CaseDecision, SlaClock


def case_starts(ids) -> dict[int, object]:
    """Case id → when the buyer's claim started: its refund request, if it grew from one, else the
    case's opening."""
    rows = Case.objects.filter(pk__in=set(ids)).values("pk", "opened_at", "refund_request__created_at")
    return {r["pk"]: r["refund_request__created_at"] or r["opened_at"] for r in rows}


def outcomes_by_kind(*, since=None) -> dict[str, dict[str, int]]:
    """Closed cases: kind → outcome → count (closed since ``since``)."""
    qs = Case.objects.filter(closed_at__isnull=False)
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for row in qs.values("kind", "outcome").annotate(n=Count("id")).order_by("kind", "outcome"):
        out[row["kind"]][row["outcome"] or "none"] = row["n"]
    return dict(out)


def sla_counts(*, since=None) -> dict[str, dict[str, int]]:
    """SLA clocks started (since ``since``): target → met (by staff before breach), breached, open."""
    qs = SlaClock.objects.all()
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    out: dict[str, dict[str, int]] = {}
    for target, met_at, breached_at in qs.values_list("target", "met_at", "breached_at"):
        row = out.setdefault(target, {"met": 0, "breached": 0, "open": 0})
        row["breached" if breached_at else "met" if met_at else "open"] += 1
    return out


def final_decisions(*, since=None) -> list[str]:
    """The remedy of each case's final decision (the appeal's, if any), decided since ``since``."""
    final: dict[int, tuple[bool, str, object]] = {}
    for case_id, appeal, remedy, at in CaseDecision.objects.values_list("case_id", "appeal", "remedy", "created_at").order_by("id"):
        if case_id not in final or appeal:
            final[case_id] = (appeal, remedy, at)
    return [remedy for _appeal, remedy, at in final.values() if since is None or at >= since]
