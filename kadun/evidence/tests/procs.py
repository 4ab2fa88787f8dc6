"""Worker processes for the PostgreSQL concurrency test (``python -m kadun.evidence.tests.procs``):

- ``append SECONDS``: appends for that long, each its own transaction; prints (time, latency ms);
- ``sequence SECONDS``: a sweeper's evidence duty in a loop; prints how many it integrated;
- ``hold SECONDS``: holds the sequencer's lock that long (a slow sequencer), then commits.
"""
from __future__ import annotations

import json
import os
import sys
import time


def main(mode: str, arg: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kadun.settings")
    import django

    django.setup()
    from django.db import transaction

    from kadun.evidence import services
    from kadun.evidence.sequencer import state_lock
    from kadun.evidence.tests.helpers import fact

    if mode == "append":
        out, end, i = [], time.monotonic() + float(arg), 0
        while time.monotonic() < end:
            i += 1
            t0 = time.perf_counter()
            with transaction.atomic():
                services.record_fact(fact(os.getpid() * 10_000 + i))
            out.append((time.time(), (time.perf_counter() - t0) * 1000))
            time.sleep(0.002)
        print(json.dumps(out))
    elif mode == "sequence":
        end, total = time.monotonic() + float(arg), 0
        while time.monotonic() < end:
            n = services.evidence_step()
            total += n
            if not n:
                time.sleep(0.05)
        print(json.dumps({"integrated": total}))
    elif mode == "hold":
        while True:  # the other sequencers may hold it at this instant: take it when free
            with transaction.atomic():
                if state_lock() is None:
                    continue
                start = time.time()
                time.sleep(float(arg))
                break
        print(json.dumps({"from": start, "to": time.time()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
