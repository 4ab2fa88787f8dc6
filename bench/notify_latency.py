"""Notification → key readable: how long after the payment gateway's notification the buyer can
read the delivered key.

With the real server running (``kadun serve --no-sweeper``, waitress, 16 threads, or gunicorn as
docs/deploy.md runs it with ``--server gunicorn``; settings unchanged), C client threads (default
4) each repeat, for M orders in all (default 300):

1. checkout       POST /api/orders (guest, auto-delivery product) — not timed here;
2. notify         POST /pay/notify/sandbox/, signed as the sandbox gateway signs it — timed from
                  sending the request to its "success" answer;
3. key readable   GET /api/orders/{order_no} with X-Order-Token, at once after the notify answer
                  and then every 5 ms until the order shows a key — timed from the start of
                  step 2 to the answer that shows the key.

kadun delivers the key inside the notification's transaction, so the first GET should already
show it; the script counts how many GETs it took. Each thread warms up with one order first.
Nothing asserts: it measures and prints p50 / p99 (target: key readable p99 < 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/notify_latency.py \\
        [--m 300] [--concurrency 4] [--db-name kadun_bench2_notify] [--keep-db]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import purchase as common  # noqa: E402

TARGET_MS = 50


class Client(common.HttpBuyer):
    """One client thread: checkout, then the gateway's notification, then the buyer polling."""

    def one(self) -> dict[str, float]:
        order, token = self.checkout()
        params = {
            "app_id": self.app_id, "out_trade_no": order["payment"]["out_trade_no"],
            "trade_no": "SBLAT" + secrets.token_hex(10).upper(), "merchant_no": str(self.shop_id), "amount": str(order["amount"]),
            "currency": "CNY", "trade_status": "SUCCESS", "timestamp": str(int(time.time())), "nonce": secrets.token_hex(12),
        }
        params["sign"] = common.sandbox_sign(params, self.secret)
        body = urllib.parse.urlencode(params).encode()
        t0 = time.perf_counter()
        status, data = self.request("POST", "/pay/notify/sandbox/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        t1 = time.perf_counter()
        if status != 200 or data.strip() != b"success":
            raise common.PurchaseFailed(f"notify {status}: {data[:200]!r}")
        path = f"/api/orders/{order['order_no']}"
        polls = 0
        while True:
            g0 = time.perf_counter()
            status, data = self.request("GET", path, headers={"X-Order-Token": token})
            g1 = time.perf_counter()
            polls += 1
            if status != 200:
                raise common.PurchaseFailed(f"lookup {status}: {data[:200]!r}")
            if json.loads(data)["keys"]:
                break
            if g1 - t0 > 5:
                raise common.PurchaseFailed(f"no key on order {order['order_no']} 5 s after the notification")
            time.sleep(0.005)
        return {"notify": t1 - t0, "key_readable": g1 - t0, "lookup": g1 - g0, "polls": polls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--m", type=int, default=300, help="orders (default 300)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    common.add_server_args(parser)
    parser.add_argument("--db-name", default="kadun_bench2_notify")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    admin_url = common.admin_url_from_env()
    say = common.sayer()

    info = common.machine(admin_url)
    db_url = common.with_dbname(admin_url, args.db_name)
    var_dir, port, env = common.private_site(db_url, "kadun-bench2-notify-")
    server = None
    try:
        say(f"creating database {args.db_name} and migrating it")
        common.recreate_database(admin_url, args.db_name)
        common.kadun(env, "migrate", "--noinput", "-v0")
        warmup = args.concurrency
        seeded = common.seed(env, keys=args.m + warmup, labels=["notify"])
        say(f"starting the server on port {port}")
        server = common.server_from_args(args, env, port, var_dir / "server.log")
        server.wait_ready()
        app_id = env.get("KADUN_SANDBOX_APP_ID", "kadun-sandbox")
        clients = [
            Client(port, product_id=seeded["products"]["notify"], shop_id=seeded["shop_id"], sandbox_secret=env["KADUN_SANDBOX_SECRET"], app_id=app_id)
            for _ in range(args.concurrency)
        ]
        results: list[dict[str, float]] = []
        errors: list[str] = []
        lock = threading.Lock()
        counter = iter(range(args.m))
        barrier = threading.Barrier(args.concurrency)

        def thread(client: Client) -> None:
            try:
                client.one()  # warm-up
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, never stops
                errors.append("warm-up: " + str(exc)[:200])
            barrier.wait()
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                try:
                    r = client.one()
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        errors.append(str(exc)[:200])
                    continue
                with lock:
                    results.append(r)

        say(f"{args.m} orders with {args.concurrency} client threads")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        monitor = common.CpuMonitor(args.db_name, server.proc.pid)
        monitor.start()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=thread, args=(c,), daemon=True) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = monitor.stop()
        for c in clients:
            c.close()
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            common.drop_database(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print(f"kadun notification -> key readable: M={args.m} orders, C={args.concurrency} client threads, server = {server.label}")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']} "
          f"(synchronous_commit={info['synchronous_commit']}), Python {info['python']}, load average at start {load}")
    print(f"{len(results)} orders measured in {wall:.1f} s ({len(errors)} failed); whole phase incl. checkouts and warm-up")
    print()
    print(f"{'ms':<34}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}")
    for key, label in (("notify", "notify request (POST → 'success')"), ("key_readable", "notify → key readable (GET shows it)"),
                       ("lookup", "the GET that showed the key")):
        values = [r[key] for r in results]
        print(f"{label:<34}" + "".join(f"{1000 * common.pct(values, p):>8.1f}" for p in (50, 90, 99)) + f"{1000 * max(values or [0]):>8.1f}")
    polls = [r["polls"] for r in results]
    print(f"GETs needed until the key showed: {dict(sorted((p, polls.count(p)) for p in set(polls)))}")
    p99 = 1000 * common.pct([r["key_readable"] for r in results], 99)
    print(f"target: key readable p99 < {TARGET_MS} ms: {'met' if p99 < TARGET_MS else 'NOT met'} ({p99:.1f} ms)")
    n = max(1, len(results) + args.concurrency)
    print(f"CPU per order (checkout + notify + GETs), ms: server {1000 * (cpu.get('server') or 0) / n:.1f}, "
          f"PostgreSQL {1000 * (cpu.get('postgres') or 0) / n:.1f}, client {1000 * cpu['client'] / n:.1f}")
    for e in errors[:5]:
        print("  error: " + e)


if __name__ == "__main__":
    main()
