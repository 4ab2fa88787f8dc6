"""The complaint dossier (投诉材料) and the evidence bundle: how long one takes to generate.

Builds, in a SQLite database of its own (a temporary KADUN_VAR_DIR, migrated), a delivered order
with a decided case, through the services, then ``--entries`` evidence entries on the order
(default 20, 200, 2000: a plain order has a dozen), integrated into the test kit's in-memory tree
under a signed head (``kadun/evidence/tests/bundle_kit.py``: the formats of docs/evidence.md).
For each size it times ``dossier.dossier_pdf`` (the buyer's), ``bundle.bundle_file`` and the
offline verifier on that bundle, ``--repeat`` times (default 5), and prints the median and the
slowest in ms, with the PDF's pages and size.

    .venv/bin/python bench/dossier.py [--entries 20,200,2000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["KADUN_VAR_DIR"] = tempfile.mkdtemp(prefix="kadun-bench-dossier-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kadun.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from kadun.payments.providers import sandbox

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    def post(url, params):  # the sandbox's notification, delivered in-process (as the tests do)
        path = url.split("://", 1)[-1]
        return Client().post(path[path.index("/"):], params).content.decode()

    sandbox.transport = post


def _scene(entries: int):
    from kadun.cases import review
    from kadun.cases.models import Case
    from kadun.cases.tests.helpers import delivered_order, later, staff
    from kadun.cases.tests.pages import opened
    from kadun.evidence.tests.bundle_kit import record

    order = delivered_order(price=1500)
    case = opened(order)
    later(hours=48, seconds=1)
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy="full_refund", fault="merchant",
                       reasons="卡密在买家首次查看前已被使用，商家未能说明", clauses=[2], evidence=[1])
    for i in range(entries):
        record("order", order.pk, "order.event", {"n": i, "note": "订单记录"})
    order.refresh_from_db()
    return order


def _time(fn, repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", default="20,200,2000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _setup()
    from kadun.evidence import bundle, dossier, tree_calls
    from kadun.evidence.offline.verify import verify_bundle
    from kadun.evidence.tests.bundle_kit import KitLog

    print(f"{'entries':>8} {'dossier p50/max ms':>20} {'pages':>6} {'PDF KB':>7} {'bundle p50/max ms':>19} {'zip KB':>7} {'verify p50 ms':>14}")
    kit = KitLog()  # one log for every size, as the platform has one
    tree_calls.use(kit)
    for n in [int(x) for x in args.entries.split(",")]:
        order = _scene(n)
        kit.settle()
        d50, dmax, (_name, pdf) = _time(lambda o=order: dossier.dossier_pdf(order=o, role="buyer", grounds={"decided"}), args.repeat)
        b50, bmax, (_name, handle) = _time(lambda o=order: bundle.bundle_file(order=o, role="buyer"), args.repeat)
        data = handle.read()
        v50, _vmax, report = _time(lambda d=data: verify_bundle(d), args.repeat)
        assert report.ok, report.problems
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        print(f"{report.entries:>8} {d50:>9.0f} / {dmax:<8.0f} {pages:>6} {len(pdf) / 1024:>7.0f} "
              f"{b50:>9.0f} / {bmax:<7.0f} {len(data) / 1024:>7.0f} {v50:>14.0f}")


if __name__ == "__main__":
    main()
