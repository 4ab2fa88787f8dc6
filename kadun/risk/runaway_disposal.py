"""跑路处置 (runaway disposal): risk staff declare it on a shop, and the sweeper refunds IN FULL
every order still within its after-sales window (or held by an open refund request or case).

Declaring writes one ``RunawayRefund`` job per order and one deadline ``runaway_refund`` per job,
due at once. The sweeper takes them in batches (SKIP LOCKED: two sweepers share the work, never
the same row) and, per job in the batch's transaction: the job's conditional update pending →
refunded (or skipped: already refunded or closed), the order's lock, then
``orders.services.order_refund`` with the key ``runaway:order:<id>`` (the ledger entry's
idempotency key), so each order is refunded once however many sweepers run and however often a
crashed batch is retried. The money comes from escrow, then the merchant's pending income, then
the available balance, then the deposit (funds), then 先行赔付 from the platform booked as the
merchant's debt (``payments.services.refund_issue``'s chain) — for an insured order (售后保险)
the insurance pool pays before 先行赔付, booked as debt owed to the pool (docs/insurance.md).
Each buyer is told (the refund's message).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from kadun.core import clock
from kadun.core.db import is_postgres
from kadun.core.money import fen_to_yuan
from kadun.deadlines.services import deadlines_schedule_many
from kadun.ledger import selectors_runaway as ledger_reads
from kadun.orders import selectors_runaway as order_reads
from kadun.orders import services as orders
from kadun.orders.states import Actor, OrderStatus
from kadun.risk.errors import ConfirmRequired, NotRiskStaff, ReasonRequired
from kadun.risk.models import RiskAlert
from kadun.risk.models_freeze import RunawayDisposal, RunawayRefund, ShopFreeze
from kadun.risk.runaway import _tell_merchant, shop_freeze
from kadun.risk.selectors import shop_subject
from kadun.risk.services import can_resolve
from kadun.risk.states import AlertKind, AlertStatus, DisposalStatus, FreezeStatus, JobStatus

log = logging.getLogger("kadun.risk")
KIND_REFUND = "runaway_refund"  # subject: the RunawayRefund job id
S = OrderStatus
REFUNDABLE = (S.PAID, S.IN_SERVICE, S.DELIVERED, S.CONFIRMED)
REFUND_REASON = "runaway"
NOTE = "商家跑路处置：平台为您全额退款"


def refund_key(order_id: int) -> str:
    return f"runaway:order:{order_id}"


def runaway_declare(*, shop_id: int, actor, reason: str, notice: str, confirm_name: str) -> RunawayDisposal:
    """Risk staff declare 跑路处置 (after typing the shop's name to confirm). The shop stays
    frozen (it can no longer be lifted), the runaway alert is resolved, and every open order gets
    its refund job, swept at once."""
    from kadun.merchants import selectors_runaway as merchant_reads

    if not can_resolve(actor):
        raise NotRiskStaff()
    reason, notice = (reason or "").strip(), (notice or "").strip()
    if not reason:
        raise ReasonRequired()
    brief = merchant_reads.shop_brief(shop_id)
    if brief is None or (confirm_name or "").strip() != brief["name"]:
        raise ConfirmRequired()
    now = clock.now()
    with transaction.atomic():
        if not ShopFreeze.objects.filter(shop_id=shop_id, status=FreezeStatus.ACTIVE).exists():
            shop_freeze(shop_id=shop_id, reason=reason, actor=actor)  # AlreadyFrozen if disposing already
        freeze = ShopFreeze.objects.select_for_update().get(shop_id=shop_id, status=FreezeStatus.ACTIVE)
        ShopFreeze.objects.filter(pk=freeze.pk, status=FreezeStatus.ACTIVE).update(status=FreezeStatus.DISPOSING)
        disposal = RunawayDisposal.objects.create(
            shop_id=shop_id, freeze=freeze, reason=reason[:500], declared_by=actor, declared_at=now,
            notice=(notice or "该店铺已被平台认定为跑路，平台将为仍在售后期内的订单全额退款。")[:500],
        )
        targets = order_reads.disposal_orders(shop_id=shop_id, now=now, max_days=settings.KADUN_RUNAWAY_MAX_WINDOW_DAYS)
        jobs = RunawayRefund.objects.bulk_create([RunawayRefund(disposal=disposal, order_id=oid) for oid, _left in targets], batch_size=2000)
        if not is_postgres() or any(j.pk is None for j in jobs):
            jobs = list(RunawayRefund.objects.filter(disposal=disposal))
        RunawayDisposal.objects.filter(pk=disposal.pk).update(orders_total=len(jobs))
        deadlines_schedule_many(kind=KIND_REFUND, due={j.pk: now for j in jobs})
        RiskAlert.objects.filter(kind=AlertKind.RUNAWAY, subject=shop_subject(shop_id), status=AlertStatus.OPEN).update(
            status=AlertStatus.RESOLVED, resolved_by=actor, resolved_at=now, resolution_note=f"跑路处置：{reason}"[:500],
        )
        if not jobs:
            RunawayDisposal.objects.filter(pk=disposal.pk).update(status=DisposalStatus.DONE, finished_at=now)
        _tell_merchant(shop_id, "店铺已被认定跑路处置", f"原因：{reason}。平台将为买家全额退款，不足部分由平台先行赔付并记为您的欠款。")
    log.warning("runaway disposal #%s declared on shop #%s by user #%s: %d orders", disposal.pk, shop_id, actor.pk, len(jobs))
    disposal.refresh_from_db()
    return disposal


def runaway_refund_jobs(*, job_ids: list[int]) -> dict[int, str]:
    """The sweeper: refund the orders of these jobs, in one transaction. The disposals are
    locked first (one batch of a shop at a time: a shop's batches take the merchant's accounts in
    the same order and never deadlock), then each job in order id order. Outcomes: done /
    skipped / noop (already done by another sweeper)."""
    outcomes = dict.fromkeys(job_ids, "noop")
    with transaction.atomic():
        jobs = list(RunawayRefund.objects.filter(pk__in=job_ids, status=JobStatus.PENDING).order_by("order_id"))
        if not jobs:
            return outcomes
        disposal_ids = sorted({j.disposal_id for j in jobs})
        locking = RunawayDisposal.objects.filter(pk__in=disposal_ids).order_by("pk")
        list(locking.select_for_update() if is_postgres() else locking)
        for job in jobs:
            outcomes[job.pk] = _refund_one(job)
        _finish(disposal_ids)
    return outcomes


def runaway_refund_job(*, job_id: int) -> str:
    return runaway_refund_jobs(job_ids=[job_id])[job_id]


def _refund_one(job: RunawayRefund) -> str:
    """One order: under its lock, refunded in full (what is left after earlier partial refunds)
    or skipped (already refunded, closed); the job's conditional update makes it once."""
    from kadun.aftersales.services_runaway import requests_close_order_refunded

    order = orders.order_lock(job.order_id)
    left = order.amount - order.refunded_amount
    now = clock.now()
    pending = RunawayRefund.objects.filter(pk=job.pk, status=JobStatus.PENDING)
    if order.status not in REFUNDABLE or left <= 0:
        return "skipped" if pending.update(status=JobStatus.SKIPPED, done_at=now) else "noop"
    key = refund_key(order.pk)
    if not pending.update(status=JobStatus.REFUNDED, amount=left, refund_key=key, done_at=now):
        return "noop"
    orders.order_refund(
        order_id=order.pk, amount=left, reason=REFUND_REASON, sources=REFUNDABLE, key=key, actor=Actor.STAFF,
        note=f"{NOTE}（{fen_to_yuan(left)} 元）",
    )
    if order.refund_hold:  # an open refund request or case held it (read under the order's lock)
        requests_close_order_refunded(order_id=order.pk, note="商家跑路处置，订单已由平台全额退款")
        orders.order_hold(order_id=order.pk, held=False)
    return "done"


def _finish(disposal_ids: list[int]) -> None:
    left = dict(
        RunawayRefund.objects.filter(disposal_id__in=disposal_ids, status=JobStatus.PENDING)
        .values_list("disposal_id").annotate(n=Count("id"))
    )
    done = [d for d in disposal_ids if not left.get(d)]
    if done:
        RunawayDisposal.objects.filter(pk__in=done, status=DisposalStatus.RUNNING).update(status=DisposalStatus.DONE, finished_at=clock.now())


# --- the report: what came from where, from the ledger postings ---------------------------------

REPORT_SOURCES = ("escrow", "platform_fee", "pending", "available", "deposit", "insurance_pool", "advance")


def disposal_report(disposal: RunawayDisposal) -> dict:
    """Per order (number, amount refunded, status) and totals per source account, read from the
    postings of the refund entries (``refund:runaway:order:<id>``)."""
    jobs = list(RunawayRefund.objects.filter(disposal=disposal).order_by("order_id"))
    done = [j for j in jobs if j.status == JobStatus.REFUNDED]
    by_order = ledger_reads.refund_sources(idempotency_keys=[f"refund:{j.refund_key}" for j in done])
    summaries = order_reads.order_summaries([j.order_id for j in jobs])
    totals = dict.fromkeys(REPORT_SOURCES, 0)
    rows = []
    for job in jobs:
        sources = by_order.get(job.order_id, {})
        for name, amount in sources.items():
            totals[name] = totals.get(name, 0) + amount
        summary = summaries.get(job.order_id, {})
        rows.append({"order_id": job.order_id, "order_no": summary.get("order_no", ""), "title": summary.get("title", ""),
                     "status": job.status, "amount": job.amount, "sources": {k: sources.get(k, 0) for k in REPORT_SOURCES}})
    return {"rows": rows, "totals": totals, "sources": REPORT_SOURCES, "refunded": sum(j.amount for j in done)}
