"""Reads for cases. Who may see a case is who may see its order (``orders.selectors.order_access``);
internal notes and staff-only events are returned only for staff."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q

from kadun.cases import records, review
from kadun.cases.errors import CaseNotFound
from kadun.cases.models import Case, CaseDecision, CaseEvent, CaseMessage, CaseOffer, EvidenceRequest, SlaClock
from kadun.cases.states import OPEN, STEPS, WITH_PLATFORM, CaseStatus, OfferStatus, Outcome, Party
from kadun.core import clock
from kadun.orders.selectors import BUYER, MERCHANT, STAFF, Viewer, order_access

S = CaseStatus


def case_access(*, case_no: str, viewer: Viewer) -> tuple[Case, str]:
    """The case and the viewer's role on its order, or CaseNotFound (also for someone else's)."""
    case = Case.objects.select_related("order", "order__shop", "order__product", "shop", "refund_request").filter(case_no=str(case_no)[:32]).first()
    if case is None:
        raise CaseNotFound()
    try:
        _order, role = order_access(order_no=case.order.order_no, viewer=viewer, related=())
    except Exception:
        raise CaseNotFound() from None
    return case, role


def open_case_of(order) -> Case | None:
    return Case.objects.filter(order=order, status__in=list(OPEN)).first()


def cases_of_order(order):
    return Case.objects.filter(order=order).order_by("-id")


def thread(order, *, role: str) -> list[CaseMessage]:
    """The order's thread (chat and case messages) for this viewer, oldest first, each with its
    evidence number ``no`` (#1, #2 … over the messages both sides see; notes have none)."""
    qs = CaseMessage.objects.filter(order=order).select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    if role != STAFF:
        qs = qs.filter(internal=False)
    messages, n = list(qs), 0
    for message in messages:
        if not message.internal:
            n += 1
            message.no = n
        else:
            message.no = None
    return messages


def timeline(case: Case, *, role: str) -> list[CaseEvent]:
    qs = CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id")
    if role != STAFF:
        qs = qs.filter(staff_only=False)
    return list(qs)


def offers(case: Case) -> list[CaseOffer]:
    return list(case.offers.order_by("id"))


def open_offer(case: Case) -> CaseOffer | None:
    return case.offers.filter(status=OfferStatus.OPEN).first()


def evidence_requests(case: Case) -> list[EvidenceRequest]:
    return list(case.evidence_requests.select_related("asked_by").order_by("id"))


def decisions(case: Case) -> list[CaseDecision]:
    return list(case.decisions.select_related("arbitrator").order_by("id"))


def attachment_access(*, attachment_id: int, viewer: Viewer):
    """An attachment, if the viewer may see its message (never an internal note's to non-staff)."""
    from kadun.cases.models import CaseAttachment

    attachment = CaseAttachment.objects.select_related("message", "message__order").filter(pk=attachment_id).first()
    if attachment is None:
        raise CaseNotFound()
    try:
        _order, role = order_access(order_no=attachment.message.order.order_no, viewer=viewer, related=("shop",))
    except Exception:
        raise CaseNotFound() from None
    if attachment.message.internal and role != STAFF:
        raise CaseNotFound()
    return attachment


def step_of(case: Case) -> str:
    if case.status == S.CLOSED:
        return "done"
    if case.status in (S.DECIDED, S.AWAITING_REPLACEMENT) or (case.status == S.APPEALED):
        return "decided" if case.status != S.AWAITING_REPLACEMENT else "done"
    if case.status == S.PLATFORM_REVIEW:
        return "platform"
    return "merchant"


def progress(case: Case) -> dict:
    """What the stepper and the countdown show: the steps (done / current), who must act, by
    when, and what happens if they don't ("商家需在 … 内回复，逾期将自动转平台介入")."""
    current = step_of(case)
    names = [name for name, _ in STEPS]
    at = names.index(current)
    steps = [{"name": name, "label": str(label), "state": "done" if i < at else ("current" if i == at else "todo")} for i, (name, label) in enumerate(STEPS)]
    if case.status == S.CLOSED:
        steps[-1]["label"] = str(Outcome(case.outcome).label) if case.outcome else steps[-1]["label"]
        steps[-1]["state"] = "done"
    seconds = None
    if case.deadline_at:
        seconds = max(0, int((case.deadline_at - clock.now()).total_seconds()))
    return {
        "steps": steps, "awaiting": case.awaiting, "deadline_at": case.deadline_at, "seconds": seconds,
        "default_outcome": records.DEFAULT_OUTCOMES.get(case.deadline_kind, ""), "waiting_text": waiting_text(case),
    }


def waiting_text(case: Case) -> str:
    who = {Party.MERCHANT: "商家", Party.BUYER: "买家", Party.STAFF: "平台", Party.SYSTEM: "申诉期"}.get(case.awaiting, "")
    what = {
        records.KIND_MERCHANT: "回复", records.KIND_FOLLOWUP: "回应或申请平台介入", records.KIND_OFFER: "答复商家的方案",
        records.KIND_EVIDENCE: "提交证据", records.KIND_EFFECTIVE: "结束（期间可申诉或放弃申诉）", records.KIND_REPLACEMENT: "完成补发",
    }.get(case.deadline_kind, "")
    if case.status == S.CLOSED:
        return ""
    if case.awaiting == Party.STAFF:
        return "等待平台处理"
    return f"等待{who}{what}" if who else ""


def may_ask_platform_at(case: Case) -> dt.datetime | None:
    """When the buyer may ask for the platform (awaiting the merchant: after the reply time)."""
    if case.status == S.NEGOTIATING:
        return case.opened_at
    if case.status == S.AWAITING_MERCHANT:
        return case.opened_at + dt.timedelta(hours=records.rules(case)["merchant_reply_hours"])
    return None


def appeal_rights(case: Case) -> dict[str, bool]:
    decision = case.decisions.filter(appeal=False).first() if case.status == S.DECIDED else None
    if decision is None:
        return {Party.BUYER: False, Party.MERCHANT: False}
    return {p: review.may_appeal(decision, p) for p in (Party.BUYER, Party.MERCHANT)}


def buyer_cases(user):
    return Case.objects.filter(order__buyer=user).select_related("order").order_by("-id")


def merchant_cases(*, shop, open_only: bool = False):
    qs = Case.objects.filter(shop=shop).select_related("order")
    if open_only:
        qs = qs.filter(status__in=list(OPEN)).order_by(F("deadline_at").asc(nulls_last=True), "-id")
    else:
        qs = qs.order_by("-id")
    return qs


# What a row of the staff queue page shows (``queue_narrow``): the sort carries narrow rows.
QUEUE_FIELDS = (
    "case_no", "kind", "priority", "status", "awaiting", "opened_at", "platform_since", "deadline_at", "order__order_no",
    "assignee__username", "shop_id", "order_id", "assignee_id", "sla_due_at",
)


def staff_queue(*, kind: str = "", priority: str = "", status: str = "", assignee_id: int | None = None, mine_of=None, breached: bool = False):
    """Open cases with the platform, the one closest to breaching its SLA first. One query per
    page whatever the table holds, read in the order of an index (``Case.sla_due_at``, the
    earliest due time of the running clocks, kept by ``sla.due_refresh``)."""
    qs = Case.objects.filter(status__in=list(WITH_PLATFORM)).select_related("order", "shop", "assignee").annotate(next_due=F("sla_due_at"))
    if status in WITH_PLATFORM:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if priority:
        qs = qs.filter(priority=priority)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if mine_of is not None:
        qs = qs.filter(assignee=mine_of)
    if breached:
        qs = qs.filter(sla_clocks__breached_at__isnull=False).distinct()
    return qs.order_by(F("sla_due_at").asc(nulls_last=True), "platform_since", "id")


def queue_narrow(qs):
    """The queue with only the columns its page shows (the API reads whole cases)."""
    return qs.select_related(None).select_related("order", "assignee").only(*QUEUE_FIELDS)


def sla_report(*, days: int) -> list[dict]:
    """Share of SLA targets met, per target and case kind, over clocks started in the last ``days``
    (a clock still running and not yet due is not counted)."""
    now = clock.now()
    since = now - dt.timedelta(days=days)
    late = Q(breached_at__isnull=False) | Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True, paused_since__isnull=True, due_at__lt=now)
    rows = (
        SlaClock.objects.filter(started_at__gte=since)
        .filter(Q(met_at__isnull=False) | late)
        .values("target", "case__kind")
        .annotate(total=Count("id"), breached=Count("id", filter=late))
        .order_by("target", "case__kind")
    )
    out = []
    for row in rows:
        met = row["total"] - row["breached"]
        out.append({"target": row["target"], "kind": row["case__kind"], "total": row["total"], "met": met,
                    "share": round(100.0 * met / row["total"], 1) if row["total"] else None})
    return out


def breaches(*, case: Case) -> list[SlaClock]:
    return list(case.sla_clocks.filter(breached_at__isnull=False))


def sla_clocks(case: Case) -> list[SlaClock]:
    return list(case.sla_clocks.order_by("id"))


__all__ = ["BUYER", "MERCHANT", "STAFF", "case_access", "open_case_of", "thread", "timeline", "progress", "staff_queue", "sla_report"]


def merchant_case_stats(*, shop_id: int, since: dt.datetime | None = None) -> dict:
    """What governance counts from the case events of one shop: cases opened, how many reached
    the platform (介入率), decided and found the merchant's fault (seller-fault rate), and the
    merchant's first-response time (median and p90, seconds; cases the merchant never answered
    count as not answered, not as fast); and how many orders those cases are about (店铺档案's 纠纷率)."""
    events = CaseEvent.objects.filter(case__shop_id=shop_id)
    if since is not None:
        events = events.filter(case__opened_at__gte=since)
    opened = events.filter(kind="opened").count()
    orders = events.filter(kind="opened").values("case__order_id").distinct().count() if opened else 0
    escalated = events.filter(kind="escalated").values("case_id").distinct().count()
    closed = events.filter(kind="closed")
    decided = closed.exclude(data__outcome__in=[Outcome.WITHDRAWN, Outcome.LAPSED, Outcome.ORDER_REFUNDED]).count()
    merchant_fault = closed.filter(data__fault="merchant").count()
    seconds = sorted(events.filter(kind="merchant_first_response").values_list("data__seconds", flat=True))
    p90 = seconds[min(len(seconds) - 1, max(0, -(-9 * len(seconds) // 10) - 1))] if seconds else None
    median = seconds[(len(seconds) - 1) // 2] if seconds else None  # the lower median: a real answer's time
    return {
        "opened": opened, "orders": orders, "first_response_median_seconds": median,
        "escalated": escalated, "intervention_rate": round(escalated / opened, 4) if opened else None,
        "closed": closed.count(), "decided": decided, "merchant_fault": merchant_fault,
        "merchant_fault_rate": round(merchant_fault / decided, 4) if decided else None,
        "answered": len(seconds), "first_response_p90_seconds": p90,
    }


def case_numbers(case_ids) -> dict[int, str]:
    """Case numbers by id (for pages that hold ``case:<id>`` subjects, e.g. risk's lure flags)."""
    return dict(Case.objects.filter(pk__in=list(case_ids)).values_list("pk", "case_no"))


def attachment_files(*, order_id: int, hashes, staff: bool) -> list[tuple[str, str, object]]:
    """The order's thread pictures whose SHA-256 is in ``hashes``: (sha256, content type, a
    function opening the file), for the evidence bundle — an internal note's only for staff."""
    from kadun.cases import attachments as store
    from kadun.cases.models import CaseAttachment

    rows = CaseAttachment.objects.filter(message__order_id=order_id, sha256__in=list(hashes)).select_related("message").order_by("id")
    if not staff:
        rows = rows.filter(message__internal=False)
    return [(row.sha256, row.content_type, lambda row=row: store.open_file(row)) for row in rows]


def dossier_grounds(order) -> set[str]:
    """Why the buyer may download the complaint dossier of ``order`` (evidence.selectors_downloads):
    ``decided`` — a case on it has a decision; ``sla_breach`` — the platform missed an SLA target
    on one; ``merchant_default`` — a deadline went against the merchant (silent, evidence missed,
    a replacement promise broken)."""
    grounds: set[str] = set()
    cases = Case.objects.filter(order=order)
    if CaseDecision.objects.filter(case__in=cases).exists():
        grounds.add("decided")
    if SlaClock.objects.filter(case__in=cases, breached_at__isnull=False).exists():
        grounds.add("sla_breach")
    merchant_missed = Q(kind="merchant_silent") | Q(kind="evidence_missed", data__party_asked=Party.MERCHANT)
    if CaseEvent.objects.filter(merchant_missed, case__in=cases).exists() or cases.filter(fault="merchant", outcome__in=DEFAULTED).exists():
        grounds.add("merchant_default")
    return grounds


# Outcomes a deadline reaches against the merchant (a replacement promise not kept).
DEFAULTED = (Outcome.REFUNDED, Outcome.ORDER_REFUNDED)
def shops_with_cases(*, shop_ids, since: dt.datetime) -> set[int]:
    """Which of these shops had a case opened since ``since`` (so governance reads only theirs)."""
    return set(Case.objects.filter(shop_id__in=list(shop_ids), opened_at__gte=since).order_by().values_list("shop_id", flat=True).distinct())


def statements_of_shop(*, shop_id: int, since: dt.datetime, limit: int = 500) -> list[str]:
    """The buyers' statements of the shop's cases opened since ``since`` (risk keywords; only the
    counts are shown, never the text: ``reputation.selectors_reviews.other_keyword_counts``)."""
    return list(Case.objects.filter(shop_id=shop_id, opened_at__gte=since).order_by("-id").values_list("statement", flat=True)[:limit])
