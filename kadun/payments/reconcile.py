"""对账: a gateway's statement for one day (Asia/Shanghai) against our books.

Our side of the day: payments of the provider that succeeded (``paid_at`` in the day) and
refunds to the payment source that succeeded (``completed_at`` in the day). The statement is
read as it streams; each row takes its counterpart out of our day. A row with no counterpart in
the day is looked up by number (a payment booked here a minute across midnight still matches);
what is left of our day afterwards is missing at the gateway. Payments are found by
``out_trade_no`` (an order may have several), refunds by our refund number.

The run and all its differences are written in one transaction after the whole file parsed:
a malformed or truncated statement stores nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import zoneinfo
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction

from kadun.core import clock
from kadun.payments.models import Payment, ReconciliationDifference, ReconciliationRun, Refund
from kadun.payments.models_reconcile import DifferenceKind as K
from kadun.payments.states import PaymentStatus, RefundStatus
from kadun.payments.statements import PARSERS, StatementError, StatementLine

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A statement provider → the payment providers whose money it carries.
PROVIDERS = {"alipay": ("alipay",), "wechatpay": ("wechatpay", "wechatpay_h5")}
LOOKUP_CHUNK = 1000


@dataclass
class _Tally:
    lines_read: int = 0
    matched: int = 0
    differences: list = field(default_factory=list)

    def add(self, kind: str, *, line: StatementLine | None = None, out_trade_no: str = "", refund_no: str = "",
            ours: int | None = None, note: str = "") -> None:
        self.differences.append(ReconciliationDifference(
            kind=kind, out_trade_no=line.out_trade_no if line else out_trade_no, refund_no=line.refund_no if line else refund_no,
            gateway_no=line.gateway_no[:64] if line else "", gateway_amount=line.amount if line else None, our_amount=ours,
            line_no=line.line_no if line else None, note=note[:200],
        ))

    def compare(self, line: StatementLine, ours: int) -> None:
        if ours == line.amount:
            self.matched += 1
        else:
            self.add(K.AMOUNT if line.kind == "trade" else K.REFUND_AMOUNT, line=line, ours=ours)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    return start, start + dt.timedelta(days=1)


def _our_day(provider: str, day: dt.date) -> tuple[dict, dict]:
    start, end = day_bounds(day)
    names = PROVIDERS[provider]
    payments = dict(Payment.objects.filter(provider__in=names, status=PaymentStatus.SUCCEEDED, paid_at__gte=start, paid_at__lt=end)
                    .values_list("out_trade_no", "amount").iterator(chunk_size=5000))
    refunds = {no: (amount, trade) for no, amount, trade in Refund.objects.filter(
        payment__provider__in=names, destination="source", status=RefundStatus.SUCCEEDED, completed_at__gte=start, completed_at__lt=end,
    ).values_list("refund_no", "amount", "payment__out_trade_no").iterator(chunk_size=5000)}
    return payments, refunds


def _chunks(items: list, size: int = LOOKUP_CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _state(choices, status: str | None, missing: str) -> str:
    if status is None:
        return "本站" + missing
    return "本站状态：" + (str(choices(status).label) if status in choices.values else status)


def _settle_strays(tally: _Tally, names: tuple, trades: list[StatementLine], refunds: list[StatementLine]) -> None:
    """Statement rows with no counterpart in our day: booked here on another day, or not at all."""
    payments = Payment.objects.filter(provider__in=names)
    _strays(tally, trades, rows=lambda nos: payments.filter(out_trade_no__in=nos).values_list("out_trade_no", "status", "amount"),
            number=lambda line: line.out_trade_no, states=PaymentStatus, kind=K.GATEWAY_ONLY, absent="无此支付单")
    ours = Refund.objects.filter(payment__provider__in=names)
    _strays(tally, refunds, rows=lambda nos: ours.filter(refund_no__in=nos).values_list("refund_no", "status", "amount"),
            number=lambda line: line.refund_no, states=RefundStatus, kind=K.REFUND_GATEWAY_ONLY, absent="无此退款单")


def _strays(tally: _Tally, lines: list[StatementLine], *, rows, number, states, kind: str, absent: str) -> None:
    """Look each stray line up by its number (a chunk at a time): succeeded here, compare the
    amounts; otherwise it is ``kind`` (the note says our state, or ``absent``)."""
    for chunk in _chunks(lines):
        found = {no: (status, amount) for no, status, amount in rows([number(line) for line in chunk])}
        for line in chunk:
            status, amount = found.get(number(line), (None, None))
            if status == states.SUCCEEDED:
                tally.compare(line, amount)
            else:
                tally.add(kind, line=line, ours=amount, note=_state(states, status, absent))


def compare(*, provider: str, day: dt.date, lines) -> _Tally:
    """Stream ``lines`` (StatementLine) against our books for ``day``; nothing is written."""
    payments, refunds = _our_day(provider, day)
    tally, stray_trades, stray_refunds, seen = _Tally(), [], [], set()
    for line in lines:
        tally.lines_read += 1
        key = (line.kind, line.refund_no or line.out_trade_no)
        if key in seen:
            tally.add(K.GATEWAY_ONLY if line.kind == "trade" else K.REFUND_GATEWAY_ONLY, line=line, note="账单中重复出现")
            continue
        seen.add(key)
        if line.kind == "trade":
            ours = payments.pop(line.out_trade_no, None)
            if ours is None:
                stray_trades.append(line)
            else:
                tally.compare(line, ours)
        else:
            ours = refunds.pop(line.refund_no, None)
            if ours is None:
                stray_refunds.append(line)
            else:
                tally.compare(line, ours[0])
    _settle_strays(tally, PROVIDERS[provider], stray_trades, stray_refunds)
    for no, amount in payments.items():
        tally.add(K.OURS_ONLY, out_trade_no=no, ours=amount)
    for no, (amount, trade) in refunds.items():
        tally.add(K.REFUND_OURS_ONLY, out_trade_no=trade, refund_no=no, ours=amount)
    return tally


class _Hashing(io.RawIOBase):
    """Reads through to ``inner`` while hashing what passes (the run keeps the file's SHA-256)."""

    def __init__(self, inner: BinaryIO):
        self.inner, self.digest = inner, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.inner.read(len(buffer))
        self.digest.update(chunk)
        buffer[:len(chunk)] = chunk
        return len(chunk)


def reconciliation_run(*, provider: str, day: dt.date, data: BinaryIO, source: str) -> ReconciliationRun:
    """Parse the statement in ``data`` (binary, seekable for Alipay's zip), compare it with our
    day, and store the run with its differences. StatementError: nothing is stored."""
    if provider not in PARSERS:
        raise StatementError("unknown_provider", f"不支持的对账渠道：{provider[:20]}")
    started = clock.now()
    digest = hashlib.sha256()
    if provider == "wechatpay":  # a plain stream: hash as it is read
        hashing = _Hashing(data)
        data, digest = io.BufferedReader(hashing, buffer_size=1 << 16), hashing.digest
    else:  # a zip needs seeking: hash the bytes first
        for chunk in iter(lambda: data.read(1 << 16), b""):
            digest.update(chunk)
        data.seek(0)
    tally = compare(provider=provider, day=day, lines=PARSERS[provider](data))
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            provider=provider, bill_date=day, source=source, file_sha256=digest.hexdigest(), lines_read=tally.lines_read,
            matched=tally.matched, difference_count=len(tally.differences), started_at=started, finished_at=clock.now(),
        )
        for item in tally.differences:
            item.run = run
        ReconciliationDifference.objects.bulk_create(tally.differences, batch_size=1000)
    return run
