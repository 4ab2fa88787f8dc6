"""The verified fields of a public complaint, built by code from the platform's records — never
typed by anyone — and whether an order's buyer may publish at all.

Eligible: a case of the order was decided by an arbitrator (``CaseDecision``), the merchant
broke a promise on the order (a ``merchants.Breach`` row, or a case escalated because the
merchant stayed silent past the deadline), or the platform missed its own service target on a
case (an ``sla_breach`` event). Within ``KADUN_COMPLAINT_WINDOW_DAYS`` of the latest such fact.

What is published is coarse on purpose (no order number, no exact amount, days not times): the
category and delivery kind, the amount band, the dates ordered / reported / decided, the frozen
clauses that applied, the timeline's kinds, and the decision (outcome, fault, refunded band).
Each field cites the evidence entries (``evidence.Entry`` ids) on the order and its cases it
was built from."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings

from kadun.aftersales import selectors as refunds
from kadun.cases import selectors as cases
from kadun.core import clock
from kadun.evidence import canonical
from kadun.evidence.complaints_errors import NotEligible
from kadun.evidence.complaints_states import Basis, Fault, PublicOutcome, Refunded
from kadun.evidence.models import Entry
from kadun.merchants.selectors import breaches_of
from kadun.orders.selectors import STAFF

LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")  # the dates shown are Beijing dates, as every page's times
BASIS_ORDER = (Basis.DECISION, Basis.MERCHANT_BREACH, Basis.MERCHANT_SILENT, Basis.PLATFORM_BREACH)
# Which clause of the frozen rules a breach is about.
BREACH_CLAUSES = {"refund_no_response": "merchant_silent", "replacement_promise_broken": "replacement_promise", "service_overdue": "delivery_deadline"}
REQUEST_TIMELINE = {
    "approved": "refund_refunded", "partially_approved": "refund_partial", "rejected": "refund_rejected", "replaced": "refund_replaced",
    "not_eligible": "refund_not_eligible", "approved_by_default": "refund_merchant_silent", "breach_refunded": "refund_replacement_broken",
}
CASE_TIMELINE = {
    "opened": "case_opened", "merchant_silent": "merchant_silent", "escalated": "escalated", "offer": "offer",
    "offer_accepted": "offer_accepted", "offer_rejected": "offer_rejected", "evidence_missed": "evidence_missed", "decided": "decided",
    "appealed": "appealed", "appeal_decided": "appeal_decided", "replacement_promise_broken": "replacement_promise_broken",
    "sla_breach": "platform_sla_breach", "closed": "case_closed",
}
CASE_OUTCOMES = {
    "refunded": PublicOutcome.REFUNDED, "order_refunded": PublicOutcome.REFUNDED, "partially_refunded": PublicOutcome.PARTIALLY_REFUNDED,
    "replaced": PublicOutcome.REPLACED, "rejected": PublicOutcome.REJECTED, "resolved": PublicOutcome.RESOLVED,
    "withdrawn": PublicOutcome.NO_REMEDY, "lapsed": PublicOutcome.NO_REMEDY,
}
# The evidence entries each field is built from, by their exact kinds (kadun/evidence/kinds.py):
# on the order (subject order) and on its cases. Only the entry whose body holds the fact is
# cited: the category and the amount are in the order as placed, the rules in it and in the
# buyer's confirmations, the decision in the decision rows, the events and the refunds paid.
_REFUND_STEPS = ("refund.request", "refund.requested", "refund.approved", "refund.partially_approved", "refund.rejected",
                 "refund.promised", "refund.replaced", "refund.not_eligible", "refund.approved_by_default", "refund.breach_refunded")
CITES = {
    "category": ("order", ("order.placed",)),
    "amount_band": ("order", ("order.placed",)),
    "dates": ("both", ("order.placed", "refund.request", "case.opened", "case.decision", "case.appeal_decision")),
    "rules": ("order", ("order.placed", "order.confirmation")),
    "timeline": ("both", (*_REFUND_STEPS, *(f"case.{k}" for k in CASE_TIMELINE), "case.decision", "case.appeal_decision")),
    "decision": ("both", ("case.decision", "case.appeal_decision", "case.decided", "case.appeal_decided", "case.closed",
                          "order.refunded", "order.partially_refunded", "refund.issued")),
}
MAX_CITES = 50


@dataclass
class Records:
    """Everything about one order the facts are read from."""

    order: object
    cases: list = field(default_factory=list)
    decisions: dict = field(default_factory=dict)  # case id → [CaseDecision]
    events: dict = field(default_factory=dict)  # case id → [CaseEvent] (staff-only ones too: sla_breach)
    requests: list = field(default_factory=list)
    breaches: list = field(default_factory=list)


@dataclass
class Eligibility:
    bases: list[str]
    case: object | None
    latest: dt.datetime


def records_of(order) -> Records:
    rec = Records(order=order, cases=list(cases.cases_of_order(order)))
    for case in rec.cases:
        rec.decisions[case.pk] = cases.decisions(case)
        rec.events[case.pk] = cases.timeline(case, role=STAFF)
    rec.requests = list(refunds.requests_of_order(order))
    rec.breaches = list(breaches_of(shop=order.shop).filter(order_id=order.pk).order_by("at", "id"))
    return rec


def _bases(rec: Records) -> list[tuple[str, dt.datetime, object | None]]:
    found = [(Basis.MERCHANT_BREACH, b.at, None) for b in rec.breaches]
    for case in rec.cases:
        found += [(Basis.DECISION, d.created_at, case) for d in rec.decisions[case.pk]]
        for e in rec.events[case.pk]:
            if e.kind == "merchant_silent":
                found.append((Basis.MERCHANT_SILENT, e.at, case))
            elif e.kind == "sla_breach":
                found.append((Basis.PLATFORM_BREACH, e.at, case))
    return found


def eligibility(rec: Records) -> Eligibility:
    """Why the buyer may publish, or NotEligible (with a code saying why not)."""
    found = _bases(rec)
    if not found:
        raise NotEligible()
    latest = max(at for _b, at, _c in found)
    if clock.now() > latest + dt.timedelta(days=settings.KADUN_COMPLAINT_WINDOW_DAYS):
        raise NotEligible("complaint_window_passed", f"可在裁决或违约记录后 {settings.KADUN_COMPLAINT_WINDOW_DAYS} 天内发布曝光，已超过期限。")
    kinds = {b for b, _at, _c in found}
    with_case = [(at, c) for _b, at, c in found if c is not None]
    case = max(with_case, key=lambda x: (x[0], x[1].pk))[1] if with_case else (rec.cases[0] if rec.cases else None)
    return Eligibility(bases=[b.value for b in BASIS_ORDER if b in kinds], case=case, latest=latest)


def band(fen: int) -> str:
    """The amount band's code: "0-50", "50-200", "200-1000", "1000+" (yuan, from the settings)."""
    edges = list(settings.KADUN_COMPLAINT_AMOUNT_BANDS)
    low = 0
    for edge in edges:
        if fen <= edge:
            return f"{low // 100}-{edge // 100}"
        low = edge
    return f"{low // 100}+"


def band_label(code: str) -> str:
    if not code:
        return "—"
    if code.endswith("+"):
        return f"¥{code[:-1]} 以上"
    low, high = code.split("-")
    return f"¥{low}–{high}"


def _day(at: dt.datetime | None) -> str | None:
    return at.astimezone(LOCAL).date().isoformat() if at else None


def _timeline(rec: Records) -> list[dict]:
    items: list[tuple[dt.datetime, int, dict]] = []
    for r in rec.requests:
        items.append((r.created_at, 0, {"kind": "refund_requested"}))
        if r.status in REQUEST_TIMELINE:
            items.append((r.resolved_at or r.created_at, 1, {"kind": REQUEST_TIMELINE[r.status]}))
    for b in rec.breaches:
        items.append((b.at, 2, {"kind": "merchant_breach", "detail": b.kind}))
    for case in rec.cases:
        for e in rec.events[case.pk]:
            if e.kind in CASE_TIMELINE:
                item = {"kind": CASE_TIMELINE[e.kind]}
                if e.kind == "closed" and (e.data or {}).get("outcome"):
                    item["detail"] = CASE_OUTCOMES.get(e.data["outcome"], PublicOutcome.RESOLVED).value
                items.append((e.at, 3, item))
    items.sort(key=lambda x: (x[0], x[1]))
    return [{**item, "date": _day(at)} for at, _n, item in items]


def _rules(rec: Records) -> list[dict]:
    snapshot = rec.order.policy_snapshot or {}
    clauses = snapshot.get("clauses") or []
    numbers: set[int] = set()
    for r in rec.requests:
        numbers.update(int(n) for n in (r.clauses or []))
    for case in rec.cases:
        for d in rec.decisions[case.pk]:
            numbers.update(int(n) for n in (d.clauses or []))
    ids = {BREACH_CLAUSES[b.kind] for b in rec.breaches if b.kind in BREACH_CLAUSES}
    chosen = [c for c in clauses if c["no"] in numbers or c["id"] in ids] or clauses
    return [{"no": c["no"], "text": c["text"]} for c in chosen]


def _outcome(rec: Records, case) -> str:
    if case is not None and case.outcome:
        return CASE_OUTCOMES.get(case.outcome, PublicOutcome.RESOLVED).value
    if any(r.status in ("approved_by_default", "breach_refunded") for r in rec.requests) or (
        rec.order.status == "refunded" and any(b.kind == "service_overdue" for b in rec.breaches)
    ):
        return PublicOutcome.REFUNDED_BY_DEFAULT.value
    if rec.order.refunded_amount:
        full = rec.order.refunded_amount >= rec.order.amount
        return (PublicOutcome.REFUNDED if full else PublicOutcome.PARTIALLY_REFUNDED).value
    return PublicOutcome.PENDING.value


def _decision(rec: Records, case) -> dict:
    order = rec.order
    refunded = Refunded.NONE if not order.refunded_amount else (Refunded.FULL if order.refunded_amount >= order.amount else Refunded.PARTIAL)
    decisions = rec.decisions.get(case.pk, []) if case is not None else []
    fault = (case.fault if case is not None and case.fault else "") or (decisions[-1].fault if decisions else "")
    if not fault and rec.breaches:
        fault = Fault.MERCHANT.value  # a breach on the record is the merchant's by rule
    return {
        "outcome": _outcome(rec, case), "fault": fault, "refunded": refunded.value,
        "refunded_band": band(order.refunded_amount) if order.refunded_amount else "",
        "remedy": decisions[-1].remedy if decisions else "",
    }


def _dates(rec: Records) -> dict:
    reported = [r.created_at for r in rec.requests] + [c.opened_at for c in rec.cases]
    decided = [d.created_at for ds in rec.decisions.values() for d in ds]
    return {"ordered": _day(rec.order.created_at), "reported": _day(min(reported)) if reported else None,
            "decided": _day(max(decided)) if decided else None}


def _citations(rec: Records) -> dict[str, list[int]]:
    order_entries = list(Entry.objects.filter(subject_type="order", subject_id=rec.order.pk).order_by("id").values_list("id", "kind"))
    case_entries = list(Entry.objects.filter(subject_type="case", subject_id__in=[c.pk for c in rec.cases]).order_by("id").values_list("id", "kind"))
    out = {}
    for name, (where, kinds) in CITES.items():
        pool = order_entries + (case_entries if where == "both" else [])
        out[name] = sorted(i for i, kind in pool if kind in kinds)[:MAX_CITES]
    return out


def build(rec: Records, elig: Eligibility) -> dict:
    """The verified fields: a plain JSON document (codes, dates, clause texts; no floats)."""
    order = rec.order
    snapshot = order.policy_snapshot or {}
    return {
        "v": 1,
        "bases": elig.bases,
        "category": order.product.category,
        "delivery": order.delivery,
        "amount_band": band(order.amount),
        "dates": _dates(rec),
        "rules": _rules(rec),
        "policy": {"version": snapshot.get("policy_version"), "hash": order.policy_hash},
        "timeline": _timeline(rec),
        "decision": _decision(rec, elig.case),
        "cites": _citations(rec),
    }


def facts_hash(facts: dict) -> str:
    return canonical.sha256_hex(canonical.dumps(facts))
