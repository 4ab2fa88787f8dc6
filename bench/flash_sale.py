"""Flash sale latency: 200 buyers at the same moment for 50 keys, over HTTP, five rounds.

The correctness of this race is a test (``tests/fault/test_flash_sale.py``: exactly 50 sold, no
key twice, everyone else never charged or refunded in full, no 5xx). This script measures what
the buyers wait for. One run:

1. creates its own database (dropped first and at the end), migrates it and seeds a shop with
   one auto-delivery product of ``--keys`` keys per round;
2. starts the server (``kadun serve --no-sweeper``, waitress, 16 threads, or gunicorn as
   docs/deploy.md runs it, ``--server``), settings unchanged;
3. per round: ``--buyers`` client threads, each with its own keep-alive connection, wait at a
   barrier and then each buy one key: checkout (``POST /api/orders``) and, if an order was
   made, the gateway's signed notification (``POST /pay/notify/sandbox/``) and the order
   lookup (``GET /api/orders/{no}``). A buyer ends "delivered" (a key), "refunded" (paid after
   the keys ran out: the whole amount goes back at once) or "sold out" (refused at checkout);
4. prints, over all rounds, p50 / p99 / max of each request and of the whole purchase by
   outcome, the outcomes per round and the round times, and any 5xx.

Nothing asserts: it measures and prints.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/flash_sale.py \\
        [--buyers 200] [--keys 50] [--rounds 5] [--server waitress|gunicorn] [--keep-db]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import purchase as common  # noqa: E402


class Buyer(common.HttpBuyer):
    def rush(self) -> dict:
        t0 = time.perf_counter()
        body = json.dumps({"product_id": self.product_id, "quantity": 1, "contact": common.CONTACT,
                           "query_password": common.QUERY_PASSWORD, "confirm_no_reason_exclusion": True}).encode()
        status, data = self.request("POST", "/api/orders", body, {"Content-Type": "application/json"})
        t1 = time.perf_counter()
        out = {"checkout": t1 - t0, "status": [status]}
        if status != 201:
            out["outcome"] = "sold out" if status == 409 else f"checkout {status}"
            out["purchase"] = t1 - t0
            return out
        created = json.loads(data)
        order, token = created["order"], created["access_token"]
        params = {
            "app_id": self.app_id, "out_trade_no": order["payment"]["out_trade_no"], "trade_no": "SBFLASH" + os.urandom(10).hex().upper(),
            "merchant_no": str(self.shop_id), "amount": str(order["amount"]), "currency": "CNY", "trade_status": "SUCCESS",
            "timestamp": str(int(time.time())), "nonce": os.urandom(12).hex(),
        }
        params["sign"] = common.sandbox_sign(params, self.secret)
        status, data = self.request("POST", "/pay/notify/sandbox/", urllib.parse.urlencode(params).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        t2 = time.perf_counter()
        out["notify"] = t2 - t1
        out["status"].append(status)
        if status != 200 or data.strip() != b"success":
            out["outcome"] = f"notify {status}"
            out["purchase"] = t2 - t0
            return out
        status, data = self.request("GET", f"/api/orders/{order['order_no']}", headers={"X-Order-Token": token})
        t3 = time.perf_counter()
        out["lookup"] = t3 - t2
        out["status"].append(status)
        out["purchase"] = t3 - t0
        if status != 200:
            out["outcome"] = f"lookup {status}"
            return out
        detail = json.loads(data)
        out["outcome"] = "delivered" if detail["status"] == "delivered" and detail["keys"] else detail["status"]
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    common.add_server_args(parser)
    parser.add_argument("--db-name", default="kadun_bench_flash")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    admin_url = common.admin_url_from_env()
    say = common.sayer()

    info = common.machine(admin_url)
    db_url = common.with_dbname(admin_url, args.db_name)
    var_dir, port, env = common.private_site(db_url, "kadun-bench-flash-")
    server = None
    results: list[dict] = []
    rounds: list[tuple[float, Counter]] = []
    try:
        say(f"creating database {args.db_name} and migrating it")
        common.recreate_database(admin_url, args.db_name)
        common.kadun(env, "migrate", "--noinput", "-v0")
        labels = [f"round{i}" for i in range(args.rounds)]
        seeded = common.seed(env, keys=args.keys, labels=labels)
        server = common.server_from_args(args, env, port, var_dir / "server.log")
        server.wait_ready()
        say(f"server: {server.label}")
        app_id = env.get("KADUN_SANDBOX_APP_ID", "kadun-sandbox")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        for label in labels:
            buyers = [Buyer(port, product_id=seeded["products"][label], shop_id=seeded["shop_id"],
                            sandbox_secret=env["KADUN_SANDBOX_SECRET"], app_id=app_id) for _ in range(args.buyers)]
            barrier = threading.Barrier(args.buyers)
            lock = threading.Lock()
            outcomes: Counter = Counter()

            def run(buyer: Buyer, barrier=barrier, lock=lock, outcomes=outcomes) -> None:
                barrier.wait()
                try:
                    r = buyer.rush()
                except Exception as exc:  # noqa: BLE001 - a benchmark reports, never stops
                    r = {"outcome": f"error {type(exc).__name__}", "status": []}
                with lock:
                    results.append(r)
                    outcomes[r["outcome"]] += 1

            threads = [threading.Thread(target=run, args=(b,), daemon=True) for b in buyers]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
            for b in buyers:
                b.close()
            rounds.append((elapsed, outcomes))
            say(f"  {label}: {dict(outcomes)} in {elapsed:.1f} s")
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            common.drop_database(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print(f"kadun flash sale: {args.buyers} buyers at once for {args.keys} keys, {args.rounds} rounds; server {server.label if server else args.server}")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']} "
          f"(synchronous_commit={info['synchronous_commit']}), Python {info['python']}, load average at start {load}")
    print()
    print(f"{'ms, all rounds':<36}{'n':>6}{'p50':>9}{'p99':>9}{'max':>9}")
    rows = [("checkout (every buyer)", "checkout", None), ("notify (paid orders)", "notify", None),
            ("lookup (paid orders)", "lookup", None), ("whole purchase, delivered", "purchase", "delivered"),
            ("whole purchase, refunded", "purchase", "refunded"), ("refused at checkout (sold out)", "purchase", "sold out")]
    for label, key, outcome in rows:
        values = [r[key] for r in results if key in r and (outcome is None or r["outcome"] == outcome)]
        if values:
            print(f"{label:<36}{len(values):>6}" + "".join(f"{1000 * v:>9.1f}" for v in
                                                          (common.pct(values, 50), common.pct(values, 99), max(values))))
    fivexx = sum(1 for r in results for s in r["status"] if s >= 500)
    print()
    for i, (elapsed, outcomes) in enumerate(rounds, 1):
        print(f"round {i}: {elapsed:5.1f} s  " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"requests: {sum(len(r['status']) for r in results)}, 5xx: {fivexx}")


if __name__ == "__main__":
    main()
