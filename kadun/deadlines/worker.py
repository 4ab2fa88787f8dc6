"""The one background loop: fire due deadlines, send the outbox, and keep the evidence log (integrate
pending entries, sign a tree head when one is due)."""
from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from kadun.deadlines.registry import duties_run
from kadun.deadlines.services import deadlines_sweep
from kadun.evidence.services import evidence_step
from kadun.notifications.services import outbox_deliver, wait_for_work

log = logging.getLogger("kadun.worker")


def run_once() -> tuple[int, int, int]:
    fired = deadlines_sweep() + duties_run()
    sent = outbox_deliver()
    try:  # the log's failure must not stop deadlines and the outbox
        integrated = evidence_step()
    except Exception:
        log.exception("evidence step failed")
        integrated = 0
    return fired, sent, integrated


def run_forever(stop: threading.Event, *, interval: float | None = None) -> None:
    interval = settings.KADUN_SWEEP_INTERVAL_SECONDS if interval is None else interval
    while not stop.is_set():
        busy = False
        try:
            close_old_connections()
            fired, sent, integrated = run_once()
            busy = fired > 0 or sent > 0 or integrated > 0  # until nothing is due: each sweep takes one kind
        except Exception:  # keep sweeping; the failure is logged and retried next round
            log.exception("sweep round failed")
            time.sleep(interval)
        if not busy:
            wait_for_work(interval)


def start_in_thread() -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop,), name="kadun-sweeper", daemon=True)
    thread.start()
    return thread, stop
