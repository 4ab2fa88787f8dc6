"""验货 racing 查看卡密: "checked before the first reveal" means no reveal before the checker's
answer. A key revealed while its check was running may have been used by the buyer before the
issuer answered "used", so that report proves nothing and must not pay an instant refund.

The report's flag is decided when it is stored, under the key's row lock, from the key's
first reveal at that moment; the refund engine also ignores any report checked at or after the
key's first reveal, and `ledger-check` reports one marked otherwise.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from conftest import buy, make_product, pay
from kadun.aftersales.errors import EvidenceRequired
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.services import refund_request_create
from kadun.aftersales.states import Reason, RequestStatus
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.inventory import checkers
from kadun.inventory.models import CardKey, VerificationReport
from kadun.inventory.services import key_reveal, key_verify
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus

SECRET = "checker-signing-secret-0123456789"
TRIALS = 20
USED = checkers.CheckResult("used", '{"status": "used"}')


def _sold(product):
    order, token, _ = buy(product)
    order = pay(order)
    return order, token, CardKey.objects.get(order=order)


def _product(**extra):
    return make_product(keys=TRIALS + 2, price=800, checker={"kind": "format", "pattern": "KEY-.*"}, **extra)


def _in_thread(fn):
    """Start fn in a thread with its own database connection; returns (thread, box) where box
    holds fn's result or exception once the thread ends."""
    box: dict = {}

    def work():
        try:
            box["result"] = fn()
        except Exception as exc:  # noqa: BLE001 (the test looks at the outcome)
            box["result"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, box


class _SlowChecker:
    """A checker stand-in that answers "used" only once the test lets it."""

    def __init__(self, monkeypatch):
        self.started = threading.Event()
        self.release = threading.Event()
        self.answered_at: dt.datetime | None = None

        def run(config, secret, product_id):
            self.started.set()
            assert self.release.wait(30)
            self.answered_at = clock.now()
            return USED

        monkeypatch.setattr(checkers, "run", run)


# --- the service, with the interleaving forced ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_key_revealed_while_its_check_runs_is_not_checked_before_the_first_reveal(monkeypatch):
    order, _token, key = _sold(_product())
    checker = _SlowChecker(monkeypatch)

    thread, box = _in_thread(lambda: key_verify(order=order, key_id=key.pk))
    assert checker.started.wait(30)
    key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9")  # the buyer looks while the issuer thinks
    checker.release.set()
    thread.join(30)

    report = box["result"]
    assert isinstance(report, VerificationReport) and report.result == "used"
    assert report.before_first_reveal is False
    assert VerificationReport.objects.get(pk=report.pk).before_first_reveal is False
    # The "used" answer proves nothing about who used it: no instant refund for the revealed key.
    with pytest.raises(EvidenceRequired):
        refund_request_create(order=order, reason=Reason.INVALID_KEY, key_ids=[key.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.refunded_amount == 0
    assert not RefundRequest.objects.filter(order=order).exists()
    assert platform_check().problems == []


@pytest.mark.django_db(transaction=True)
def test_a_key_revealed_after_the_answer_was_stored_keeps_the_instant_refund(monkeypatch):
    order, _token, key = _sold(_product())
    checker = _SlowChecker(monkeypatch)
    checker.release.set()

    report = key_verify(order=order, key_id=key.pk)
    key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9")
    request = refund_request_create(order=order, reason=Reason.INVALID_KEY, key_ids=[key.pk])

    assert report.before_first_reveal is True
    assert request.status == RequestStatus.APPROVED and "验货" in request.explanation
    assert Order.objects.get(pk=order.pk).refunded_amount == 800


# --- through HTTP, with a real (local) HTTP checker ------------------------------------------


class _BlockingChecker(BaseHTTPRequestHandler):
    received = threading.Event()
    release = threading.Event()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.set()
        type(self).release.wait(30)
        body = json.dumps({"status": "used"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def blocking_checker():
    _BlockingChecker.received = threading.Event()
    _BlockingChecker.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BlockingChecker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    _BlockingChecker.release.set()
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_over_http_a_reveal_during_the_check_gets_no_instant_refund(settings, blocking_checker):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = True
    product = make_product(keys=2, price=800, checker={"kind": "http", "url": f"http://127.0.0.1:{blocking_checker}/verify", "secret": SECRET})
    order, token, key = _sold(product)
    headers = {"X-Order-Token": token}

    thread, box = _in_thread(lambda: Client(headers=headers).post(
        f"/api/orders/{order.order_no}/keys/{key.pk}/verify", {}, content_type="application/json"
    ))
    assert _BlockingChecker.received.wait(30)
    revealed = Client(headers=headers).post(f"/api/orders/{order.order_no}/keys/{key.pk}/reveal")
    _BlockingChecker.release.set()
    thread.join(30)
    refund = Client(headers=headers).post(
        f"/api/orders/{order.order_no}/refund-requests", {"reason": "invalid_key", "key_ids": [key.pk]}, content_type="application/json"
    )

    assert revealed.status_code == 200 and revealed.json()["secret"].startswith("KEY-")
    verified = box["result"]
    assert verified.status_code == 200, verified.content
    assert verified.json()["result"] == "used" and verified.json()["before_first_reveal"] is False
    assert refund.status_code == 400 and refund.json()["code"] == "evidence_required"
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.refunded_amount == 0


# --- reports that say otherwise are not trusted, and ledger-check names them -----------------


def _mislabelled_report(order, key):
    """A report marked "before the first reveal" but checked after it (what the race stored)."""
    key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9")
    key.refresh_from_db()
    return VerificationReport.objects.create(
        order=order, key=key, checker="http", result="used", raw="{}",
        checked_at=key.first_revealed_at + dt.timedelta(milliseconds=500), before_first_reveal=True,
    )


@pytest.mark.django_db
@pytest.mark.evidence_tampered  # the report is written behind the app's back
def test_a_report_checked_after_the_first_reveal_pays_no_instant_refund_whatever_its_flag():
    order, _token, key = _sold(_product())
    _mislabelled_report(order, key)

    with pytest.raises(EvidenceRequired):
        refund_request_create(order=order, reason=Reason.INVALID_KEY, key_ids=[key.pk])

    assert Order.objects.get(pk=order.pk).refunded_amount == 0


@pytest.mark.django_db
@pytest.mark.evidence_tampered  # the report is written behind the app's back
def test_ledger_check_reports_a_report_marked_before_the_reveal_but_checked_after_it():
    order, _token, key = _sold(_product())
    assert platform_check().problems == []
    report = _mislabelled_report(order, key)

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("ledger_check", stdout=out, stderr=err)

    assert exited.value.code == 1
    assert (
        f"verification #{report.pk} of key #{key.pk} (order #{order.pk}) marked before the first reveal but checked at or after it"
        in err.getvalue()
    )


# --- real threads on PostgreSQL ------------------------------------------------------------


def _reveal_after(seconds, order, key):
    """A reveal, a little later in some trials, so both orders of events occur."""
    time.sleep(seconds)
    return key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9")


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_verify_and_reveal_at_once_never_a_reveal_before_the_answer_and_an_instant_refund(monkeypatch):
    """20 trials of 验货 (answering "used") and 查看卡密 released together, then 卡密无效: when the
    reveal came before the checker's answer, the request is never approved at once."""
    product = _product()
    answered: dict[int, dt.datetime] = {}
    barrier = threading.Barrier(2, timeout=60)

    def run(config, secret, product_id):
        answered[product_id] = clock.now()
        return USED

    monkeypatch.setattr(checkers, "run", run)
    both, mislabelled, seen = [], [], {"reveal_first": 0, "answer_first": 0}
    for trial in range(TRIALS):
        order, _token, key = _sold(product)

        def together(fn):
            try:
                barrier.wait()
                return fn()
            except Exception as exc:  # noqa: BLE001
                return exc
            finally:
                connection.close()

        with ThreadPoolExecutor(2) as pool:
            report, _secret = list(pool.map(together, [
                lambda o=order, k=key: key_verify(order=o, key_id=k.pk),
                lambda o=order, k=key, d=trial % 5: _reveal_after(d * 0.01, o, k),
            ]))
        assert isinstance(report, VerificationReport), report
        key.refresh_from_db()
        reveal_first = key.first_revealed_at < answered[product.pk]
        seen["reveal_first" if reveal_first else "answer_first"] += 1
        try:
            request = refund_request_create(order=order, reason=Reason.INVALID_KEY, key_ids=[key.pk])
        except EvidenceRequired:
            request = None
        instant = request is not None and request.status == RequestStatus.APPROVED
        if (reveal_first or not report.before_first_reveal) and instant:
            both.append((trial, order.order_no))
        if report.before_first_reveal and (reveal_first or report.checked_at >= key.first_revealed_at):
            mislabelled.append((trial, order.order_no))
    assert both == [] and mislabelled == [], seen
    assert platform_check().problems == []


def _wait_until_another_session_waits_for_a_lock(timeout: float = 30) -> None:
    from django.db import connections

    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is a snapshot
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the reveal never waited for the key's lock")


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_a_reveal_waiting_for_the_keys_lock_takes_its_time_after_the_report_stored_meanwhile():
    """What storing a report relies on: while it holds the key's row, a reveal waits, and its
    first-reveal time is taken only once it has the row — later than the report's checked_at."""
    from django.db import transaction

    order, _token, key = _sold(_product())
    with transaction.atomic():
        list(CardKey.objects.select_for_update(no_key=True).filter(pk=key.pk))  # as _report_store does
        thread, box = _in_thread(lambda: key_reveal(order=order, key_id=key.pk, actor="guest", ip="203.0.113.9"))
        _wait_until_another_session_waits_for_a_lock()
        checked_at = clock.now()
    thread.join(30)

    assert not isinstance(box["result"], Exception), box["result"]
    key.refresh_from_db()
    assert key.first_revealed_at > checked_at
