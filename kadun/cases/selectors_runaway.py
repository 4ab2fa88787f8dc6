"""Reads 跑路 protection takes from cases: cases escalated because the merchant did not reply,
and cases opened against a shop, in a window."""
from __future__ import annotations

import datetime as dt

from kadun.cases.models import Case, CaseEvent


def merchant_silent_events(*, shop_id: int, since: dt.datetime) -> list[dict]:
    rows = CaseEvent.objects.filter(kind="merchant_silent", at__gte=since, case__shop_id=shop_id).select_related("case").order_by("-at")
    return [{"case_no": e.case.case_no, "order_id": e.case.order_id, "at": e.at.isoformat()} for e in rows[:50]]


def cases_opened_since(*, shop_id: int, since: dt.datetime) -> int:
    return Case.objects.filter(shop_id=shop_id, opened_at__gte=since).count()
