"""Shared by the reconciliation tests: orders paid through the offline gateways (both books
agree), refunds sent through the outbox, and the command run through call_command."""
from __future__ import annotations

import datetime as dt
import io
import zoneinfo

from django.core.management import call_command
from django.db import transaction

from conftest import buy, make_product
from kadun.core import clock
from kadun.notifications.services import outbox_deliver_all
from kadun.payments.models import Payment
from kadun.payments.services import refund_issue
from kadun.payments.tests.gateway_fixtures import post_notify

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    return clock.now().astimezone(SHANGHAI).date()


def alipay_paid(fake, price: int = 1010):
    """An order paid at the fake Alipay and notified: both books say paid."""
    order, _token, pay_url = buy(make_product(keys=2, price=price), provider="alipay")
    fake.open(pay_url)
    no = Payment.objects.get(order=order).out_trade_no
    fake.pay(no)
    assert post_notify("alipay", fake.notification(no))[0] == 200
    order.refresh_from_db()
    return order, no


def refund(order, amount: int):
    with transaction.atomic():
        issued = refund_issue(order=order, amount=amount, reason="测试退款")
    outbox_deliver_all()
    issued.refresh_from_db()
    return issued


def reconcile(provider: str, day: dt.date, file: str | None = None) -> tuple[int, str, str]:
    """Run ``kadun reconcile``; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    args = ["--provider", provider, "--date", day.isoformat()] + (["--file", file] if file else [])
    try:
        call_command("reconcile", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def next_day() -> dt.date:
    """Move the clock past midnight (Shanghai): the gateways publish a day's bill only afterwards."""
    day = today()
    clock.advance(dt.timedelta(days=1))
    return day
