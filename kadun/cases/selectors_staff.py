"""Reads for the staff console of cases: a page of the queue, one case's file (order facts, the
frozen rules, reveals and 验货 reports of its keys, payment, delivery, the refund request it came
from, thread, timeline, SLA clocks, the audit list), who carries the burden of proof (举证责任)
on the platform's own data, and the SLA figures. Never a key's plaintext: keys are masked."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadun.aftersales import selectors as refund_reads
from kadun.cases import selectors, sla
from kadun.cases.models import Case, CaseMessage, SlaClock
from kadun.cases.states import CaseKind, Party, Priority, SlaTarget, label
from kadun.core import clock
from kadun.inventory import selectors as key_reads
from kadun.orders.selectors import STAFF, events_of, service_due_at
from kadun.payments.selectors import payment_of, refunds_of

EVENT_LABELS = {
    "opened": gettext_lazy("提交工单"), "escalated": gettext_lazy("转平台介入"), "merchant_silent": gettext_lazy("商家逾期未回复"),
    "merchant_first_response": gettext_lazy("商家首次回复"), "negotiating": gettext_lazy("进入协商"),
    "assigned": gettext_lazy("指派"), "evidence_requested": gettext_lazy("调取证据"), "evidence_answered": gettext_lazy("已补充证据"),
    "evidence_missed": gettext_lazy("逾期未举证"), "decided": gettext_lazy("裁决"), "appealed": gettext_lazy("申诉"),
    "appeal_decided": gettext_lazy("申诉复核裁决"), "appeal_waived": gettext_lazy("放弃申诉"),
    "decision_effective": gettext_lazy("裁决生效"), "closed": gettext_lazy("结案"), "sla_breach": gettext_lazy("平台服务时限未达成"),
    "offer": gettext_lazy("商家提出方案"), "replacement_promised": gettext_lazy("等待补发"),
    "replacement_promise_broken": gettext_lazy("逾期未补发"), "offer_accepted": gettext_lazy("买家接受方案"), "offer_rejected": gettext_lazy("买家拒绝方案"),
}
TARGETS = ("first_response", "resolution", "appeal")
TARGET_LABELS = {"first_response": SlaTarget.FIRST_RESPONSE.label, "resolution": SlaTarget.RESOLUTION.label,
                 "appeal": gettext_lazy("申诉复核")}
RESULT_LABELS = {"valid": gettext_lazy("有效"), "used": gettext_lazy("已使用"), "invalid": gettext_lazy("无效"), "error": gettext_lazy("验货失败")}
BAD_RESULTS = ("used", "invalid")


def minutes_text(minutes: int) -> str:
    """「30 分钟」, or whole hours as 「24 小时」."""
    if minutes >= 60 and minutes % 60 == 0:
        return _("%(n)s 小时") % {"n": minutes // 60}
    return _("%(n)s 分钟") % {"n": minutes}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def target_label(target: str) -> str:
    return str(TARGET_LABELS.get(target, target))


# --- the queue -------------------------------------------------------------------------------

def queue_page(*, page: int = 1, size: int = 50, **filters) -> tuple[list[Case], bool]:
    """One page of ``selectors.staff_queue`` (closest to breach first), each case with
    ``seconds_left`` (negative: breached that long ago; None: every clock met or paused),
    ``has_breach`` and ``paused``. One query whatever the page or the table holds."""
    breach = SlaClock.objects.filter(case=OuterRef("pk"), breached_at__isnull=False)
    paused = SlaClock.objects.filter(case=OuterRef("pk"), met_at__isnull=True, paused_since__isnull=False)
    qs = selectors.queue_narrow(selectors.staff_queue(**filters)).annotate(has_breach=Exists(breach), paused=Exists(paused))
    start = (max(1, page) - 1) * size
    rows = list(qs[start:start + size + 1])
    now = clock.now()
    for case in rows:
        case.seconds_left = int((case.next_due - now).total_seconds()) if case.next_due else None
        case.left_text, case.urgency = left_text(case.seconds_left), urgency(case.seconds_left)
    return rows[:size], len(rows) > size


# --- one case --------------------------------------------------------------------------------

def case_file(case: Case) -> dict:
    """Everything the staff case page shows, read for staff."""
    order = case.order
    keys = key_reads.keys_of_order(order)
    index_of = {key["id"]: key["index"] for key in keys}
    reveals = list(key_reads.reveals_of_order(order).select_related("user").order_by("at", "id"))
    reports = list(key_reads.verifications_of(order).order_by("checked_at", "id"))
    for row in [*reveals, *reports]:
        row.key_index = index_of.get(row.key_id, row.key_id)
    for report in reports:
        report.result_label = str(RESULT_LABELS.get(report.result, report.result))
    requests = list(refund_reads.requests_of_order(order))
    source = next((r for r in requests if r.pk == case.refund_request_id), None)
    return {
        "order": order, "policy": order.policy_snapshot or {}, "keys": keys, "case_keys": set(case.key_ids or []),
        "reveals": reveals, "reports": reports, "payment": payment_of(order), "refunds": list(refunds_of(order)),
        "delivery": delivery_record(order), "order_events": list(events_of(order)),
        "refund_request": source, "refund_events": list(source.events.all()) if source else [],
        "refund_evidence": list(source.evidence.all()) if source else [], "other_requests": [r for r in requests if r is not source],
        "thread": selectors.thread(order, role=STAFF), "timeline": timeline(case), "clocks": clock_rows(case),
        "evidence_requests": selectors.evidence_requests(case), "decisions": selectors.decisions(case),
        "offers": selectors.offers(case), "burden": burden_of_proof(case, keys=keys, reports=reports),
        "audit": audit(case), "progress": selectors.progress(case),
    }


def delivery_record(order) -> dict:
    """When and how the order was delivered; for a service, against its deadline."""
    due = service_due_at(order)
    late = bool(due and (order.delivered_at or clock.now()) > due)
    return {"auto": order.is_auto, "at": order.delivered_at, "note": order.delivery_note, "image": bool(order.delivery_image),
            "due": due, "late": late, "missing": order.delivered_at is None}


def timeline(case: Case) -> list:
    events = selectors.timeline(case, role=STAFF)
    for event in events:
        event.label = event_label(event.kind)
    return events


def clock_rows(case: Case) -> list[dict]:
    """The case's SLA clocks as staff see them: target, minutes, due, and met / breached / paused."""
    now, rows = clock.now(), []
    for c in selectors.sla_clocks(case):
        if c.breached_at:
            state, text = "breached", _("已超时")
        elif c.met_at:
            state, text = "met", _("已达成")
        elif c.paused_since:
            state, text = "paused", _("已暂停（等待当事方）")
        else:
            state, text = "running", _("计时中")
        left = int((c.due_at - now).total_seconds()) if c.due_at and state == "running" else None
        rows.append({"clock": c, "label": target_label(c.target), "state": state, "text": text, "seconds_left": left,
                     "minutes_text": minutes_text(c.minutes),
                     "left_text": left_text(left), "urgency": urgency(left)})
    return rows


def audit(case: Case) -> list[dict]:
    """Every staff action on the case, oldest first: the staff events the services wrote
    (assignments, evidence requests, decisions, closing) and the staff's messages and notes."""
    rows = [
        {"at": e.at, "who": e.actor.username if e.actor else _("平台"), "what": event_label(e.kind), "note": e.note, "internal": e.staff_only}
        for e in selectors.timeline(case, role=STAFF) if e.party == Party.STAFF
    ]
    messages = CaseMessage.objects.filter(order_id=case.order_id, party=Party.STAFF).select_related("author").order_by("created_at", "id")
    for m in messages:
        rows.append({"at": m.created_at, "who": m.author.username if m.author else _("平台"),
                     "what": _("内部备注") if m.internal else _("平台消息"), "note": m.body[:200], "internal": m.internal})
    return sorted(rows, key=lambda row: row["at"])


# --- 举证责任 ---------------------------------------------------------------------------------

def _t(at: dt.datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def burden_of_proof(case: Case, *, keys: list[dict] | None = None, reports: list | None = None) -> dict:
    """Who must prove what, read from the platform's own records. After 确认收货 the buyer
    (the order was accepted); before it the merchant, when a key of the case was never revealed,
    a 验货 report from before the first reveal found it used or invalid, or a service has no
    delivery record or was delivered late. Each sentence cites the fact it rests on.
    ``on``: merchant / buyer / both."""
    order = case.order
    facts = [_("下单时冻结的退款规则适用（共 %(n)s 条，摘要 %(hash)s…）。") % {
        "n": len((order.policy_snapshot or {}).get("clauses", [])), "hash": (order.policy_hash or "")[:12]}]
    if order.confirmed_at:
        facts.append(_("订单已于 %(at)s 确认收货：举证责任转由买家承担，买家需证明问题在确认收货前已存在。") % {"at": _t(order.confirmed_at)})
        return {"on": "buyer", "label": _("买家"), "facts": facts}
    if order.is_auto:
        against = _key_facts(case, keys if keys is not None else key_reads.keys_of_order(order),
                             reports if reports is not None else list(key_reads.verifications_of(order)), facts)
    else:
        against = _service_facts(order, facts)
    if against:
        return {"on": "merchant", "label": _("商家"), "facts": facts}
    facts.append(_("平台数据未减轻买家的举证责任：买家需证明其主张，商家可提交反证。"))
    return {"on": "both", "label": _("双方各自举证"), "facts": facts}


def _key_facts(case: Case, keys: list[dict], reports: list, facts: list[str]) -> bool:
    scope = [k for k in keys if not case.key_ids or k["id"] in case.key_ids]
    against = False
    for key in scope:
        first = key["first_revealed_at"]
        bad = [r for r in reports if r.key_id == key["id"] and r.result in BAD_RESULTS and r.before_first_reveal
               and (first is None or r.checked_at < first)]
        if bad:
            against = True
            facts.append(_("卡密 #%(n)s 在首次查看前的验货结果为「%(result)s」（%(at)s）：卡密出库时即有问题，举证责任在商家。") % {
                "n": key["index"], "result": RESULT_LABELS.get(bad[0].result, bad[0].result), "at": _t(bad[0].checked_at)})
        elif first is None:
            against = True
            facts.append(_("卡密 #%(n)s 从未被查看（查看记录为空）：买家未接触卡密，举证责任在商家。") % {"n": key["index"]})
        else:
            facts.append(_("卡密 #%(n)s 已于 %(at)s 首次查看，查看前无异常验货报告。") % {"n": key["index"], "at": _t(first)})
    if not scope:
        facts.append(_("工单未涉及具体卡密。"))
    return against


def _service_facts(order, facts: list[str]) -> bool:
    record = delivery_record(order)
    if record["missing"]:
        facts.append(_("服务订单没有发货记录%(due)s：举证责任在商家。") % {
            "due": (_("（服务时限 %(at)s）") % {"at": _t(record["due"])}) if record["due"] else ""})
        return True
    if record["late"]:
        facts.append(_("商家于 %(at)s 发货，晚于服务时限 %(due)s：举证责任在商家。") % {"at": _t(record["at"]), "due": _t(record["due"])})
        return True
    facts.append(_("商家已于 %(at)s 发货（发货记录在案）。") % {"at": _t(record["at"])})
    return False


# --- SLA ---------------------------------------------------------------------------------------

def sla_table(days: tuple[int, ...] = (7, 30)) -> list[dict]:
    """``selectors.sla_report`` over each period, one row per target × kind (and an 全部 row per
    target), each with ``periods``: [{"days", "met", "total", "share"}] in the order of ``days``."""
    by_key: dict[tuple[str, str], dict] = {}
    for n, period in enumerate(days):
        for row in selectors.sla_report(days=period):
            for kind in (row["kind"], ""):
                entry = by_key.setdefault((row["target"], kind), {"target": row["target"], "kind": kind,
                                                                 "periods": [{"days": d, "met": 0, "total": 0} for d in days]})
                entry["periods"][n]["met"] += row["met"]
                entry["periods"][n]["total"] += row["total"]
    order = {t: i for i, t in enumerate(TARGETS)}
    kinds = {k: i for i, k in enumerate(["", *CaseKind.values])}
    out = sorted(by_key.values(), key=lambda e: (order.get(e["target"], 9), kinds.get(e["kind"], 9)))
    for entry in out:
        entry["label"] = target_label(entry["target"])
        entry["kind_label"] = label(CaseKind, entry["kind"]) if entry["kind"] else _("全部类型")
        for p in entry["periods"]:
            p["share"] = round(100.0 * p["met"] / p["total"], 1) if p["total"] else None
    return out


def configured_targets() -> list[dict]:
    """Per kind, each target's minutes at normal and high priority, by ``sla.target_minutes``
    (the code that starts the clocks)."""
    rows = []
    for kind in CaseKind.values:
        row = {"kind": kind, "kind_label": label(CaseKind, kind), "targets": []}
        for target in TARGETS:
            normal = sla.target_minutes(SimpleNamespace(kind=kind, priority=Priority.NORMAL), target)
            high = sla.target_minutes(SimpleNamespace(kind=kind, priority=Priority.HIGH), target)
            row["targets"].append({"target": target, "label": target_label(target), "normal": normal, "high": high,
                                   "normal_text": minutes_text(normal), "high_text": minutes_text(high)})
        rows.append(row)
    return rows


def support_hours() -> dict:
    return {"hours": (settings.KADUN_SUPPORT_HOURS or "").strip(), "tz": settings.KADUN_SUPPORT_TZ}


def recent_breaches(limit: int = 50) -> list[SlaClock]:
    rows = list(SlaClock.objects.filter(breached_at__isnull=False).select_related("case").order_by("-breached_at", "-id")[:limit])
    for row in rows:
        row.label, row.minutes_text = target_label(row.target), minutes_text(row.minutes)
    return rows


def left_text(seconds: int | None) -> str:
    """「剩余 3小时5分」 / 「已超时 12分」 in whole minutes rounded down — the same wording
    ``static/cases/sla_countdown.js`` keeps current in the browser."""
    if seconds is None:
        return ""
    minutes = abs(int(seconds)) // 60
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if d:
        t = _("%(d)s天%(h)s小时") % {"d": d, "h": h}
    elif h:
        t = _("%(h)s小时%(m)s分") % {"h": h, "m": m}
    else:
        t = _("%(m)s分") % {"m": m}
    return (_("剩余 %(t)s") if seconds > 0 else _("已超时 %(t)s")) % {"t": t}


def urgency(seconds: int | None) -> str:
    """Badge class: bad once breached, warn within 30 minutes, ok otherwise."""
    if seconds is None:
        return ""
    return "bad" if seconds <= 0 else ("warn" if seconds <= 30 * 60 else "ok")
