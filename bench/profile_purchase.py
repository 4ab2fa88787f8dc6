"""Where the server's time goes in one purchase: the app in-process, one purchase at a time.

Companion to ``bench/purchase.py`` (which measures throughput). This script creates its own
database (``kadun_bench_profile``, dropped first and at the end), migrates and seeds it the same
way, then runs the four requests of a purchase through Django's test client in this process,
with kadun's settings unchanged, and prints:

1. per request: CPU ms, wall ms and SQL statements (savepoints included), without a profiler;
2. with cProfile on, timing CPU (not wall) time: the CPU spent in each part of the stack (own
   time, grouped by package), and the functions with the most own CPU time.

The test client skips waitress's HTTP parsing, and cProfile inflates pure-Python code (the ORM)
more than C code (psycopg, hashing), so read part 2 as proportions, part 1 as the real cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/profile_purchase.py [--n 300]
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import purchase as bench  # noqa: E402

STEPS = bench.STEPS


def groups_of(stats: pstats.Stats) -> list[tuple[str, float]]:
    def area(filename: str, name: str) -> str:
        if filename == "~":
            return "builtins (called from everywhere)"
        path = filename.split("site-packages/")[-1]
        if path.startswith(("django/db/models", "django/db/backends", "django/db/utils", "django/db/transaction")):
            return "Django ORM (query building, SQL compiling, model instances)"
        if path.startswith("psycopg"):
            return "psycopg (sending statements, reading rows)"
        if path.startswith(("ninja", "pydantic")):
            return "django-ninja + pydantic"
        if path.startswith(("django/", "whitenoise", "axes", "asgiref")):
            return "Django request handling, middleware, URL routing, utils"
        if path.startswith("cryptography"):
            return "cryptography (Fernet)"
        if "/kadun/" in filename:
            return "kadun's own code"
        return "Python standard library and others"

    total: collections.Counter[str] = collections.Counter()
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        total[area(filename, name)] += tottime
    return total.most_common()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="purchases profiled (and as many again unprofiled)")
    parser.add_argument("--db-name", default="kadun_bench_profile")
    parser.add_argument("--top", type=int, default=20, help="functions listed")
    args = parser.parse_args()

    admin_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    db_url = bench.with_dbname(admin_url, args.db_name)
    var_dir = Path(tempfile.mkdtemp(prefix="kadun-profile-"))
    (var_dir / "static").mkdir()
    env = bench.app_env(db_url, var_dir, 8000)
    try:
        bench.recreate_database(admin_url, args.db_name)
        bench.kadun(env, "migrate", "--noinput", "-v0")
        seeded = bench.seed(env, keys=2 * args.n + 20, labels=["profile"])
        os.environ.update(env)
        os.environ["KADUN_LOG_LEVEL"] = "WARNING"  # no log line per notification on the console
        os.environ["DJANGO_SETTINGS_MODULE"] = "kadun.settings"
        run(args, env, seeded)
    finally:
        from django.db import connections

        connections.close_all()
        bench.drop_database(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)


def run(args, env: dict, seeded: dict) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client()
    product_id, shop_id = seeded["products"]["profile"], seeded["shop_id"]
    app_id = env.get("KADUN_SANDBOX_APP_ID", "kadun-sandbox")
    counts: collections.Counter[str] = collections.Counter()
    current = {"step": ""}

    def count(execute, sql, params, many, context):
        counts[current["step"]] += 1
        return execute(sql, params, many, context)

    cpu: collections.Counter[str] = collections.Counter()
    wall: collections.Counter[str] = collections.Counter()

    def step(name: str, fn):
        current["step"] = name
        c0, w0 = time.thread_time(), time.perf_counter()
        out = fn()
        cpu[name] += time.thread_time() - c0
        wall[name] += time.perf_counter() - w0
        return out

    def purchase() -> None:
        body = json.dumps({"product_id": product_id, "quantity": 1, "contact": bench.CONTACT, "query_password": bench.QUERY_PASSWORD,
                           "confirm_no_reason_exclusion": True})
        r = step("checkout", lambda: client.post("/api/orders", body, content_type="application/json"))
        assert r.status_code == 201, r.content
        created = r.json()
        order, token = created["order"], created["access_token"]
        params = {
            "app_id": app_id, "out_trade_no": order["payment"]["out_trade_no"], "trade_no": "SBPROF" + secrets.token_hex(10),
            "merchant_no": str(shop_id), "amount": str(order["amount"]), "currency": "CNY", "trade_status": "SUCCESS",
            "timestamp": str(int(time.time())), "nonce": secrets.token_hex(12),
        }
        params["sign"] = bench.sandbox_sign(params, env["KADUN_SANDBOX_SECRET"])
        r = step("notify", lambda: client.post("/pay/notify/sandbox/", params))
        assert r.content == b"success", r.content
        path = f"/api/orders/{order['order_no']}"
        r = step("lookup", lambda: client.get(path, HTTP_X_ORDER_TOKEN=token))
        key_id = r.json()["keys"][0]["id"]
        r = step("reveal", lambda: client.post(f"{path}/keys/{key_id}/reveal", HTTP_X_ORDER_TOKEN=token))
        assert r.status_code == 200, r.content

    for _ in range(10):  # warm-up
        purchase()
    cpu.clear(), wall.clear()
    with connection.execute_wrapper(count):
        for _ in range(args.n):
            purchase()
    n = args.n
    print(f"\n1. per request, no profiler ({n} purchases, one at a time, kadun settings unchanged)")
    print(f"{'request':<12}{'CPU ms':>10}{'wall ms':>10}{'SQL statements':>16}")
    for name in STEPS:
        print(f"{name:<12}{1000 * cpu[name] / n:>10.1f}{1000 * wall[name] / n:>10.1f}{counts[name] / n:>16.1f}")
    print(f"{'purchase':<12}{1000 * sum(cpu.values()) / n:>10.1f}{1000 * sum(wall.values()) / n:>10.1f}{sum(counts.values()) / n:>16.1f}")

    profiler = cProfile.Profile(timer=time.thread_time)  # CPU time: waiting on PostgreSQL drops out
    profiler.enable()
    for _ in range(n):
        purchase()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v for _, v in groups_of(stats))
    print(f"\n2. with cProfile, CPU time ({n} more purchases): own CPU time by part of the stack")
    for area, seconds in groups_of(stats):
        print(f"{100 * seconds / total:>6.1f}%  {area}")
    print(f"\nfunctions with the most own CPU time (of {total:.1f} s)")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.top]
    for (filename, line, name), (_cc, ncalls, tottime, _cumtime, _callers) in rows:
        where = filename.split("site-packages/")[-1].replace(str(bench.ROOT) + "/", "")
        print(f"{100 * tottime / total:>6.1f}%  {ncalls / n:>7.1f} calls/purchase  {where}:{line} {name}")


if __name__ == "__main__":
    main()
