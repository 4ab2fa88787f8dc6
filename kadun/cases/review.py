"""The platform's part: taking a case, asking a side for evidence (the SLA pauses while it is
awaited; a side that misses the deadline is decided against on what is at hand), deciding with
written reasons citing the frozen clauses and evidence by number, the appeal window, waivers,
and the appeal heard by a different arbitrator. Every staff action is an audited event."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from kadun.cases import records, remedies, sla
from kadun.cases.errors import CaseClosed, CaseNotAllowed, InvalidCaseInput, SameArbitrator
from kadun.cases.models import Case, CaseDecision, CaseEvent, CaseMessage, EvidenceRequest
from kadun.cases.states import MONEY_KINDS, WITH_PLATFORM, CaseStatus, EvidenceRequestStatus, Fault, Outcome, Party, Remedy, label
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.risk import abuse

S = CaseStatus
SUPPORT_ROLES = ("support", "arbitrator")  # admins too (User.has_staff_role)
ARBITRATOR_ROLES = ("arbitrator",)


def is_support(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_staff_role(*SUPPORT_ROLES))


def is_arbitrator(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_staff_role(*ARBITRATOR_ROLES))


def _support(user) -> None:
    if not is_support(user):
        raise CaseNotAllowed()


def case_assign(*, case: Case, staff, assignee) -> Case:
    """Support or an arbitrator takes (or hands) a case."""
    _support(staff)
    if not is_support(assignee):
        raise InvalidCaseInput("invalid_assignee", "只能指派给客服或仲裁员。")
    with transaction.atomic():
        case = records.lock(case)
        if not records.is_open(case):
            raise CaseClosed()
        Case.objects.filter(pk=case.pk).update(assignee=assignee)
        records.event(case, "assigned", Party.STAFF, f"指派给 {assignee.username}", actor=staff, staff_only=True, assignee=assignee.pk)
    return case


def evidence_request(*, case: Case, staff, party: str, text: str, hours: int | None = None) -> EvidenceRequest:
    """Ask the buyer or the merchant for evidence by a deadline (default evidence_hours)."""
    _support(staff)
    text = (text or "").strip()
    if party not in (Party.BUYER, Party.MERCHANT):
        raise InvalidCaseInput("invalid_party", "请选择向买家还是商家调取证据。")
    if len(text) < 5:
        raise InvalidCaseInput("text_required", "请说明需要提交的证据（至少5个字）。")
    with transaction.atomic():
        case = records.lock(case)
        if case.status not in WITH_PLATFORM:
            raise CaseClosed()
        hours = int(hours or records.rules(case)["evidence_hours"])
        if not 1 <= hours <= 168:
            raise InvalidCaseInput("invalid_hours", "举证期限需在1到168小时之间。")
        now = clock.now()
        request = EvidenceRequest.objects.create(
            case=case, party=party, text=text[:1000], asked_by=staff, due_at=now + dt.timedelta(hours=hours), created_at=now,
        )
        evidence_log.record("cases.evidence_request", request)
        who = "买家" if party == Party.BUYER else "商家"
        records.event(case, "evidence_requested", Party.STAFF, f"平台要求{who}在 {hours} 小时内提交证据：{text[:200]}", actor=staff,
                      request=request.pk, party_asked=party)
        records.wait_for(case, party=party, kind=records.KIND_EVIDENCE, at=request.due_at, subject_id=request.pk)
        sla.clocks_meet(case, "first_response")
        sla.clocks_pause(case)
        records.tell(case, party, "平台要求您补充证据", f"{text[:200]}（{hours} 小时内；逾期平台将按现有证据裁决）")
    return request


def after_evidence(case: Case) -> None:
    """An evidence request was answered or missed: when none is left open, the case is the
    platform's again and its SLA clocks run."""
    if EvidenceRequest.objects.filter(case=case, status=EvidenceRequestStatus.OPEN).exists():
        return
    if case.status in WITH_PLATFORM:
        records.wait_on_platform(case)
    sla.clocks_resume(case)


def evidence_missed(wait) -> str:
    """Deadline: the side asked did not submit evidence in time."""
    case = records.lock(wait.case)
    request = EvidenceRequest.objects.filter(pk=wait.ref_id, case=case, status=EvidenceRequestStatus.OPEN).first()
    if request is None:
        return "noop"
    if not EvidenceRequest.objects.filter(pk=request.pk, status=EvidenceRequestStatus.OPEN).update(status=EvidenceRequestStatus.MISSED):
        return "noop"
    who = "买家" if request.party == Party.BUYER else "商家"
    records.event(case, "evidence_missed", Party.SYSTEM, f"{who}逾期未提交证据，平台将按现有证据裁决", party_asked=request.party)
    after_evidence(case)
    return "done"


def _validate_decision(case: Case, *, remedy: str, fault: str, reasons: str, clauses, evidence) -> tuple[list[int], list[int]]:
    if fault not in Fault.values:
        raise InvalidCaseInput("invalid_fault", "请认定责任方。")
    if len((reasons or "").strip()) < 10:
        raise InvalidCaseInput("reasons_required", "裁决须写明理由（至少10个字）。")
    try:
        clauses = sorted({int(c) for c in (clauses or [])})
        evidence = sorted({int(e) for e in (evidence or [])})
    except (TypeError, ValueError):
        raise InvalidCaseInput("invalid_citation", "引用的条款或证据编号无效。") from None
    numbers = {c["no"] for c in (case.order.policy_snapshot or {}).get("clauses", [])}
    if case.kind in MONEY_KINDS and not clauses:
        raise InvalidCaseInput("clauses_required", "裁决须引用下单时冻结的退款规则条款。")
    if any(c not in numbers for c in clauses):
        raise InvalidCaseInput("invalid_citation", "引用的条款不在该订单冻结的退款规则中。")
    thread = thread_numbers(case)
    if any(e not in thread for e in evidence):
        raise InvalidCaseInput("invalid_citation", "引用的证据编号不在本工单中。")
    if case.kind not in MONEY_KINDS and remedy != Remedy.REJECTED:
        raise InvalidCaseInput("invalid_remedy", "咨询与投诉工单不涉及退款，请选择驳回或结案。")
    return clauses, evidence


def thread_numbers(case: Case) -> dict[int, int]:
    """Evidence numbers (#1, #2 … on the thread everyone sees) → message ids."""
    ids = CaseMessage.objects.filter(order_id=case.order_id, internal=False).order_by("created_at", "id").values_list("pk", flat=True)
    return {n: pk for n, pk in enumerate(ids, start=1)}


def may_appeal(decision: CaseDecision, party: str) -> bool:
    """The side that lost (all or part) may appeal: the buyer unless fully refunded, the merchant
    unless the claim was rejected."""
    if party == Party.BUYER:
        return decision.remedy != Remedy.FULL_REFUND
    if party == Party.MERCHANT:
        return decision.remedy != Remedy.REJECTED
    return False


def case_decide(*, case: Case, arbitrator, remedy: str, fault: str, reasons: str, clauses=None, evidence=None, amount=None, hours=None) -> CaseDecision:
    """An arbitrator decides a case under review. It takes effect when the appeal window closes
    (appeal_days), or at once once every side that may appeal waived it."""
    if not is_arbitrator(arbitrator):
        raise CaseNotAllowed("decide_forbidden", "只有仲裁员可以作出裁决。")
    with transaction.atomic():
        case = records.lock(case)
        if case.status != S.PLATFORM_REVIEW:
            raise CaseClosed()
        clauses, evidence = _validate_decision(case, remedy=remedy, fault=fault, reasons=reasons, clauses=clauses, evidence=evidence)
        amount, hours = remedies.check(case, remedy, amount, hours)
        now = clock.now()
        decision = CaseDecision.objects.create(
            case=case, arbitrator=arbitrator, remedy=remedy, amount=amount, replace_hours=hours, fault=fault,
            reasons=reasons.strip()[:4000], clauses=clauses, evidence=evidence,
            effective_at=now + dt.timedelta(days=records.rules(case)["appeal_days"]), created_at=now,
        )
        records.move(case, frm=S.PLATFORM_REVIEW, to=S.DECIDED, arbitrator=arbitrator, fault=fault)
        _decided_event(case, decision, arbitrator)
        sla.clocks_meet(case, "first_response", "resolution")
        records.wait_for(case, party=Party.SYSTEM, kind=records.KIND_EFFECTIVE, at=decision.effective_at, subject_id=decision.pk)
        for party in (Party.BUYER, Party.MERCHANT):
            records.tell(case, party, "平台已作出裁决", f"{records.rules(case)['appeal_days']} 天申诉期结束后生效；如不服可在申诉期内申诉。")
    return decision


def _decided_event(case: Case, decision: CaseDecision, arbitrator) -> None:
    evidence_log.record("cases.decision", decision)
    records.event(
        case, "appeal_decided" if decision.appeal else "decided", Party.STAFF,
        f"{label(Remedy, decision.remedy)}；{label(Fault, decision.fault)}。{decision.reasons[:300]}", actor=arbitrator,
        decision=decision.pk, remedy=decision.remedy, amount=decision.amount, fault=decision.fault, clauses=decision.clauses,
    )


def decision_waive(*, case: Case, party: str, author=None) -> Case:
    """A side gives up its appeal. When every side that may appeal has, the decision takes effect."""
    with transaction.atomic():
        case = records.lock(case)
        decision = case.decisions.filter(appeal=False).first()
        if case.status != S.DECIDED or decision is None or not may_appeal(decision, party):
            raise CaseClosed()
        if not case.events.filter(kind="appeal_waived", data__side=party).exists():
            records.event(case, "appeal_waived", party, ("买家" if party == Party.BUYER else "商家") + "放弃申诉", actor=author, side=party)
        waived = set(CaseEvent.objects.filter(case=case, kind="appeal_waived").values_list("data__side", flat=True))
        if all(p in waived for p in (Party.BUYER, Party.MERCHANT) if may_appeal(decision, p)):
            _take_effect(case, decision, note="各方放弃申诉，裁决立即生效")
    return case


def case_appeal(*, case: Case, party: str, statement: str, author=None) -> Case:
    """A side that lost appeals within the window; a different arbitrator hears it, finally."""
    statement = (statement or "").strip()
    if len(statement) < 10:
        raise InvalidCaseInput("statement_required", "请写明申诉理由（至少10个字）。")
    with transaction.atomic():
        case = records.lock(case)
        decision = case.decisions.filter(appeal=False).first()
        if case.status != S.DECIDED or decision is None or clock.now() >= decision.effective_at:
            raise CaseClosed("appeal_closed", "申诉期已过或工单不在申诉期内。")
        if not may_appeal(decision, party):
            raise CaseNotAllowed("appeal_forbidden", "裁决已支持您的全部主张，无需申诉。")
        records.move(case, frm=S.DECIDED, to=S.APPEALED)
        records.event(case, "appealed", party, statement[:500], actor=author)
        from kadun.cases import thread

        thread.post_in(case, party=party, author=author, body="【申诉】" + statement, images=[], staged=[], opening=True)
        records.wait_on_platform(case)
        sla.clocks_start(case, "appeal")
        records.tell(case, Party.MERCHANT if party == Party.BUYER else Party.BUYER, "对方已申诉", "平台将由另一位仲裁员复核，复核结果为终局。")
    return case


def appeal_decide(*, case: Case, arbitrator, remedy: str, fault: str, reasons: str, clauses=None, evidence=None, amount=None, hours=None) -> CaseDecision:
    """The appeal, heard by an arbitrator other than the first decision's: final, carried out at once."""
    if not is_arbitrator(arbitrator):
        raise CaseNotAllowed("decide_forbidden", "只有仲裁员可以作出裁决。")
    with transaction.atomic():
        case = records.lock(case)
        first = case.decisions.filter(appeal=False).first()
        if case.status != S.APPEALED or first is None:
            raise CaseClosed()
        if first.arbitrator_id == arbitrator.pk:
            raise SameArbitrator()
        clauses, evidence = _validate_decision(case, remedy=remedy, fault=fault, reasons=reasons, clauses=clauses, evidence=evidence)
        amount, hours = remedies.check(case, remedy, amount, hours)
        now = clock.now()
        decision = CaseDecision.objects.create(
            case=case, appeal=True, arbitrator=arbitrator, remedy=remedy, amount=amount, replace_hours=hours, fault=fault,
            reasons=reasons.strip()[:4000], clauses=clauses, evidence=evidence, effective_at=now, created_at=now,
        )
        Case.objects.filter(pk=case.pk).update(fault=fault)
        case.fault = fault
        _decided_event(case, decision, arbitrator)
        sla.clocks_meet(case, "appeal")
        _take_effect(case, decision, note="申诉复核为终局裁决，立即执行")
    return decision


def _take_effect(case: Case, decision: CaseDecision, *, note: str) -> None:
    records.event(case, "decision_effective", Party.SYSTEM, note, decision=decision.pk)
    abuse.abuse_case_decided(case=case, decision=decision)  # 用后退款防护: a decision against the buyer counts on their record
    remedies.carry_out(case, remedy=decision.remedy, amount=decision.amount, hours=decision.replace_hours, party=Party.STAFF,
                       stage=f"decision:{decision.pk}", note=f"售后工单 {case.case_no} 平台裁决")
    for party in (Party.BUYER, Party.MERCHANT):
        records.tell(case, party, "裁决已生效", note)


def decision_effective(wait) -> str:
    """Deadline: the appeal window closed with no appeal — the decision is carried out."""
    case = records.lock(wait.case)
    decision = CaseDecision.objects.filter(pk=wait.ref_id, case=case, appeal=False).first()
    if decision is None or case.status != S.DECIDED:
        return "noop"
    _take_effect(case, decision, note=records.DEFAULT_OUTCOMES[records.KIND_EFFECTIVE])
    return "done"


def case_resolve(*, case: Case, staff, note: str) -> Case:
    """Support answers and closes an inquiry or a complaint (no money moves)."""
    _support(staff)
    note = (note or "").strip()
    if len(note) < 5:
        raise InvalidCaseInput("note_required", "请填写处理结果（至少5个字）。")
    with transaction.atomic():
        case = records.lock(case)
        if case.kind in MONEY_KINDS or case.status != S.PLATFORM_REVIEW:
            raise CaseClosed("not_resolvable", "涉及退款的工单须由仲裁员裁决。")
        from kadun.cases import thread

        thread.post_in(case, party=Party.STAFF, author=staff, body=note, images=[], staged=[])
        sla.clocks_meet(case, "first_response", "resolution")
        records.close(case, frm=S.PLATFORM_REVIEW, outcome=Outcome.RESOLVED, fault=Fault.NONE, note=note[:300], party=Party.STAFF, actor=staff)
        records.tell(case, Party.BUYER, "工单已处理", note[:200])
    return case
