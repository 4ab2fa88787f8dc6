"""``kadun reconcile --provider alipay|wechatpay --date YYYY-MM-DD [--file PATH]``: the day's
statement (downloaded from the gateway unless --file) against our books. Prints a summary and
exits 1 when there are differences, 2 when the statement cannot be used (nothing stored)."""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from kadun.payments.models_reconcile import DifferenceKind
from kadun.payments.reconcile import PROVIDERS, reconciliation_run
from kadun.payments.statement_download import DOWNLOADERS
from kadun.payments.statements import StatementError

SHOWN = 50


class Command(BaseCommand):
    help = "Reconcile a gateway's daily statement with our payments and refunds; exit 1 on differences."

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
        parser.add_argument("--date", required=True, help="the statement's day (Asia/Shanghai), YYYY-MM-DD")
        parser.add_argument("--file", help="a statement file as downloaded; without it the statement is fetched from the gateway")

    def handle(self, *args, provider: str, date: str, file: str | None = None, **options):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"--date: not a date: {date!r}") from None
        try:
            if file:
                with open(file, "rb") as data:
                    run = reconciliation_run(provider=provider, day=day, data=data, source="file")
            else:
                data = io.BytesIO(DOWNLOADERS[provider](day))
                run = reconciliation_run(provider=provider, day=day, data=data, source="gateway")
        except (StatementError, OSError) as exc:
            self.stderr.write(f"reconcile: {getattr(exc, 'code', 'unreadable_file')}: {getattr(exc, 'message', exc)} (nothing stored)")
            raise SystemExit(2) from None
        self._summary(run)
        if run.difference_count:
            raise SystemExit(1)

    def _summary(self, run) -> None:
        self.stdout.write(f"reconcile {run.provider} {run.bill_date}: run #{run.pk}, {run.lines_read} lines read, "
                          f"{run.matched} matched, {run.difference_count} differences")
        counts = Counter(run.differences.values_list("kind", flat=True).iterator())
        for kind in DifferenceKind:
            if counts[kind.value]:
                self.stdout.write(f"  {kind.value}: {counts[kind.value]}")
        for item in run.differences.order_by("pk")[:SHOWN]:
            self.stdout.write(f"  - {item.kind} trade={item.out_trade_no} refund={item.refund_no or '-'} "
                              f"gateway={item.gateway_amount} ours={item.our_amount} {item.note}")
        if run.difference_count > SHOWN:
            self.stdout.write(f"  … {run.difference_count - SHOWN} more on the staff page")
        if not run.difference_count:
            self.stdout.write(self.style.SUCCESS("reconcile: OK"))
