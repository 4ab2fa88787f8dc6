"""The transparency report's figures, computed from the other rooms' selectors (docs/report.md).

Refund paths, from the key each refund was paid under (``payments.Refund.idempotency_key``):

- ``one_click`` 一键退款: a refund request the engine approved at once under the frozen rules
  (outcome ``approve``: an unrevealed key, a checker-proven dead key, 七天无理由);
- ``by_rule`` 按规则自动: paid by a deadline rule with nobody deciding — a merchant who did not
  answer (``approved_by_default``), a broken replacement promise (request ``breach_refunded`` or a
  case's ``replacement_overdue``), a service not delivered in time, stock gone or a late payment;
- ``by_merchant`` 商家同意: the merchant agreed (approved / partly approved a request, or an offer
  in a case the buyer accepted);
- ``by_decision`` 平台裁决: an arbitrator's decision in a case;
- ``runaway`` 跑路处置: refunds of a shop the platform declared run away;
- ``other``: any other key (none today).

Time to money: from the buyer's claim (the refund request; for a case, the request it grew from,
else its opening) to the refund's payment; for refunds without a claim (service overdue, stock,
late payment, runaway) from the order's payment. Median and p90 by nearest rank (the ⌈p·n⌉-th
smallest), in seconds.
"""
from __future__ import annotations

import math

from kadun.cases.states import Remedy

PATHS = ("one_click", "by_rule", "by_merchant", "by_decision", "runaway", "other")
RULE_ORDER_REASONS = ("service_overdue", "out_of_stock", "late_payment")


def rank(values: list[float], p: float) -> int | None:
    """The nearest-rank percentile (p in (0, 1]) of ``values``, as whole seconds; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return int(ordered[max(1, math.ceil(p * len(ordered))) - 1])


def _path(key: str, requests: dict) -> tuple[str, str, int | None]:
    """(path, start kind, id) of a refund key: start kind is request / case / payment."""
    parts = key.split(":")
    if parts[0] == "refund_request" and len(parts) == 2:
        request = requests.get(int(parts[1]))
        if request is None:
            return "other", "payment", None
        if request["outcome"] == "approve":
            return "one_click", "request", int(parts[1])
        if request["status"] in ("approved_by_default", "breach_refunded"):
            return "by_rule", "request", int(parts[1])
        return "by_merchant", "request", int(parts[1])
    if parts[0] == "case" and len(parts) >= 3:
        stage = parts[2]
        path = {"decision": "by_decision", "offer": "by_merchant", "replacement_overdue": "by_rule"}.get(stage, "other")
        return path, "case", int(parts[1])
    if parts[0] in RULE_ORDER_REASONS:
        return "by_rule", "payment", None
    if parts[0] == "runaway":
        return "runaway", "payment", None
    return "other", "payment", None


def refunds_by_path(rows: list[dict]) -> dict[str, dict]:
    from kadun.aftersales.selectors_report import requests_facts
    from kadun.cases.selectors_report import case_starts

    request_ids = [int(r["key"].split(":")[1]) for r in rows if r["key"].startswith("refund_request:")]
    requests = requests_facts(request_ids)
    classified = [(r, *_path(r["key"], requests)) for r in rows]
    cases = case_starts([i for _r, _p, kind, i in classified if kind == "case"])
    seconds: dict[str, list[float]] = {p: [] for p in PATHS}
    out = {p: {"count": 0, "amount": 0} for p in PATHS}
    for row, path, kind, ident in classified:
        out[path]["count"] += 1
        out[path]["amount"] += row["amount"]
        start = requests[ident]["created_at"] if kind == "request" else cases.get(ident) if kind == "case" else row["paid_at"]
        if start is not None:
            seconds[path].append(max(0.0, (row["at"] - start).total_seconds()))
    for path in PATHS:
        out[path]["median_seconds"] = rank(seconds[path], 0.5)
        out[path]["p90_seconds"] = rank(seconds[path], 0.9)
    return out


def decision_shares(remedies: list[str]) -> dict:
    """Final decisions for the buyer (a refund or a replacement) and for the merchant (驳回)."""
    buyer = sum(1 for r in remedies if r != Remedy.REJECTED)
    merchant = len(remedies) - buyer
    total = len(remedies)
    return {
        "total": total, "for_buyer": buyer, "for_merchant": merchant,
        "for_buyer_bps": buyer * 10_000 // total if total else None, "for_merchant_bps": merchant * 10_000 // total if total else None,
    }


def sla(counts: dict[str, dict[str, int]]) -> dict:
    out = {}
    for target, c in sorted(counts.items()):
        settled = c["met"] + c["breached"]
        out[target] = {**c, "met_bps": c["met"] * 10_000 // settled if settled else None}
    return out


def window(since) -> dict:
    """Every figure over refunds paid / cases closed / clocks started / decisions made since
    ``since`` (None: all time)."""
    from kadun.cases import selectors_report as cases
    from kadun.insurance.selectors import claims_for_report
    from kadun.payments.selectors_report import refunds_for_report

    return {
        "refunds": refunds_by_path(refunds_for_report(since=since)),
        "case_outcomes": cases.outcomes_by_kind(since=since),
        "sla": sla(cases.sla_counts(since=since)),
        "decisions": decision_shares(cases.final_decisions(since=since)),
        "insurance": claims_for_report(since=since),
    }
