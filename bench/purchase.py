"""Purchase throughput: kadun over HTTP against the same database work written as raw SQL.

One purchase is what a guest buyer does for an auto-delivery product:

1. checkout      POST /api/orders                      -> 201, order + payment + access token
2. notify        POST /pay/notify/sandbox/             -> "success" (signed as the sandbox gateway
                 signs it: HMAC-SHA256 over the sorted parameters); kadun books the payment into
                 escrow and delivers a key, in one transaction
3. lookup        GET  /api/orders/{order_no}           -> the delivered key's id (X-Order-Token)
4. reveal        POST /api/orders/{order_no}/keys/{id}/reveal -> the plaintext key, logged

The script creates a database of its own (dropped first, dropped again at the end), migrates it
with ``kadun migrate``, seeds a merchant, a shop and one auto-delivery product with N keys per
phase, then runs two phases with C client threads each:

- HTTP: the real server, settings unchanged, with no sweeper: ``kadun serve`` (waitress, one
  process, 16 threads) and gunicorn as docs/deploy.md runs it (``--workers`` processes, default
  one per CPU, × ``--threads`` 8); ``--server`` picks one or both (default both), each phase on a
  product of its own.
- raw SQL: the statements and transactions the app runs per purchase, written by hand with
  psycopg (no Django, no HTTP), on the same database, for a fresh product with N fresh keys.

Each phase warms up first (one purchase per client thread), then runs N purchases; as a safety
bound a phase stops starting new purchases after ``--seconds`` (default 60), and its figures are
then over the purchases completed. Nothing here asserts: it measures and prints.

Besides purchases/s and per-step latencies it prints, per purchase, the CPU used by the server
process, by the PostgreSQL backends of the bench database and by the client, and the rows each
phase inserted and updated per table (from PostgreSQL's statistics), so a reader can check that
the raw-SQL phase does the same database work as the app.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/purchase.py
    (or ``make bench``; flags: --n, --concurrency, --seconds, --db-name, --keep-db,
    --raw-prepare-threshold)
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
STEPS = ("checkout", "notify", "lookup", "reveal")
CONTACT = "bench@example.com"
QUERY_PASSWORD = "bench-pass-1"
PRICE = 1000  # 分


# --- the machine ------------------------------------------------------------------------------


def machine(admin_url: str) -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psycopg.connect(admin_url, autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
    return {
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "postgres": pg,
        "synchronous_commit": sync,
        "python": sys.version.split()[0],
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- database, environment, seeding -----------------------------------------------------------


def with_dbname(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(db_url: str, var_dir: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "KADUN_SANDBOX_NOTIFY_URL")}
    env.update(
        DATABASE_URL=db_url,
        KADUN_VAR_DIR=str(var_dir),
        KADUN_SITE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY=secrets.token_urlsafe(50),
        KADUN_CARD_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),  # a Fernet key
        KADUN_KEY_HASH_SECRET=secrets.token_urlsafe(32),
        KADUN_SANDBOX_SECRET=secrets.token_urlsafe(32),
        KADUN_EVIDENCE_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),  # an Ed25519 private key
        KADUN_EVIDENCE_HASH_SECRET=secrets.token_urlsafe(32),
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("KADUN_PAYMENT_PROVIDERS", "sandbox,wallet")  # the benchmarks pay in the sandbox
    return env


def kadun(env: dict, *args: str, extra_env: dict | None = None) -> str:
    proc = subprocess.run(
        [PY, "-m", "kadun.cli", *args], cwd=ROOT, env={**env, **(extra_env or {})}, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"kadun {' '.join(args)[:60]} failed with exit code {proc.returncode}")
    return proc.stdout


SEED = r"""
import json, os, secrets
from kadun.accounts.services import user_create
from kadun.catalog.services import product_create
from kadun.inventory.services import keys_import
from kadun.merchants.services import shop_create

keys = int(os.environ["BENCH_KEYS"])
user = user_create(username="bench-merchant", password="Lp7-" + secrets.token_urlsafe(12))
shop = shop_create(owner=user, name="压测店铺")
from kadun.merchants.onboarding import shop_preapprove
shop_preapprove(shop_id=shop.pk); shop.refresh_from_db()  # 资质审核 passed
out = {"shop_id": shop.pk, "products": {}}
for label in os.environ["BENCH_PRODUCTS"].split(","):
    product = product_create(shop=shop, data={"title": "压测商品 " + label, "price": PRICE, "delivery": "auto", "category": "game_card"})
    tag = secrets.token_hex(4)
    report = keys_import(product=product, lines=[(i + 1, f"BENCH-{label}-{tag}-{i:07d}") for i in range(keys)], source="cli")
    assert report.imported == keys, report.as_dict()
    out["products"][label] = product.pk
print("BENCH-SEED " + json.dumps(out))
""".replace("PRICE", str(PRICE))


def seed(env: dict, *, keys: int, labels: list[str]) -> dict:
    out = kadun(env, "shell", "-c", SEED, extra_env={"BENCH_KEYS": str(keys), "BENCH_PRODUCTS": ",".join(labels)})
    line = next(line for line in out.splitlines() if line.startswith("BENCH-SEED "))
    return json.loads(line.split(" ", 1)[1])


# --- the server -------------------------------------------------------------------------------


def admin_url_from_env() -> str:
    """The PostgreSQL server's maintenance database the benchmarks create their databases from."""
    return os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"


def sayer():
    """A progress printer that prefixes the seconds since it was made."""
    started = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {msg}", flush=True)

    return say


def private_site(db_url: str, prefix: str) -> tuple[Path, int, dict]:
    """A temporary ``KADUN_VAR_DIR``, a free port and the app's environment for ``db_url``, with
    one log line per warning only. Returns (var_dir, port, env)."""
    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    (var_dir / "static").mkdir()
    port = free_port()
    env = app_env(db_url, var_dir, port)
    env["KADUN_LOG_LEVEL"] = "WARNING"
    return var_dir, port, env


def add_server_args(parser) -> None:
    parser.add_argument("--server", default="waitress", choices=("waitress", "gunicorn"),
                        help="kadun serve (waitress, one process) or gunicorn as docs/deploy.md runs it")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes (default: CPUs)")


def server_from_args(args, env: dict, port: int, log_path: Path) -> "Server":
    return Server(env, port, log_path, kind=args.server, workers=args.workers, threads=16 if args.server == "waitress" else 8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``kadun serve`` (waitress: one process, ``threads`` threads) or gunicorn as docs/deploy.md
    runs it (``workers`` processes × ``threads`` threads), with no sweeper."""

    def __init__(self, env: dict, port: int, log_path: Path, *, kind: str = "waitress", workers: int = 2, threads: int = 16):
        self.port = port
        self.log = open(log_path, "w")
        if kind == "gunicorn":
            cmd = [PY, "-m", "gunicorn", "kadun.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "--threads", str(threads), "--worker-class", "gthread", "--log-level", "warning", "--backlog", "2048"]
            self.label = f"gunicorn, {workers} workers × {threads} threads"
        else:
            cmd = [PY, "-m", "kadun.cli", "serve", "--no-sweeper", "--port", str(port), "--threads", str(threads)]
            self.label = f"kadun serve (waitress), {threads} threads"
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/openapi.json")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("server did not answer within %ss" % timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- measuring --------------------------------------------------------------------------------


class PurchaseFailed(Exception):
    pass


@dataclass
class PhaseResult:
    name: str
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in (*STEPS, "purchase")})
    errors: list[str] = field(default_factory=list)
    stopped_early: bool = False
    warmed: int = 0  # warm-up purchases completed (not measured)
    writes: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> rows inserted, updated
    commits: int = 0
    cpu: dict[str, float | None] = field(default_factory=dict)  # seconds, whole phase incl. warm-up
    label: str = ""  # the server, for HTTP phases
    workers: int = 1

    @property
    def attempted(self) -> int:
        return self.warmed + self.done + self.failed

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def run_phase(name: str, make_worker, *, n: int, concurrency: int, warmup: int, seconds: float, monitor: CpuMonitor) -> PhaseResult:
    """Each of ``concurrency`` threads gets a worker (a callable doing one purchase and returning
    its step timings). ``warmup`` purchases run first, unmeasured; then the threads share N
    purchases, and stop starting new ones once ``seconds`` have passed."""
    result = PhaseResult(name)
    lock = threading.Lock()
    counter = iter(range(n))
    clock = {}
    ends: list[float] = []

    def started() -> None:
        clock["t0"] = time.perf_counter()
        clock["deadline"] = clock["t0"] + seconds

    barrier = threading.Barrier(concurrency, action=started)
    workers = [make_worker(i) for i in range(concurrency)]

    def failed(exc: Exception, prefix: str = "") -> None:
        with lock:
            result.failed += 1
            if len(result.errors) < 5:
                result.errors.append(prefix + str(exc)[:300])

    def thread(i: int) -> None:
        worker = workers[i]
        for _ in range(warmup // concurrency + (1 if i < warmup % concurrency else 0)):
            try:
                worker()
                with lock:
                    result.warmed += 1
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, never stops
                failed(exc, "warm-up: ")
        barrier.wait()
        while True:
            with lock:
                if time.perf_counter() >= clock["deadline"]:
                    result.stopped_early = True
                    break
                if next(counter, None) is None:
                    break
            try:
                timings = worker()
            except Exception as exc:  # noqa: BLE001
                failed(exc)
                continue
            with lock:
                result.done += 1
                for step, value in timings.items():
                    result.steps[step].append(value)
                ends.append(time.perf_counter())

    monitor.start()
    threads = [threading.Thread(target=thread, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.cpu = monitor.stop()
    for worker in workers:
        worker.close()
    result.seconds = (max(ends) - clock["t0"]) if ends else 0.0
    return result


def db_counters(url: str) -> tuple[dict[str, tuple[int, int]], int]:
    """Rows inserted and updated per table, and committed transactions, in the bench database so
    far (PostgreSQL's statistics; a backend reports its own when idle for a second or on exit)."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables")}
        commits = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]
    return tables, commits


def count_writes(result: PhaseResult, before, after) -> None:
    tables_before, commits_before = before
    tables_after, commits_after = after
    for table, (ins, upd) in tables_after.items():
        ins0, upd0 = tables_before.get(table, (0, 0))
        if ins - ins0 or upd - upd0:
            result.writes[table] = (ins - ins0, upd - upd0)
    result.commits = commits_after - commits_before - 2  # less the two reading connections' own


def proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a process has used, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float | None:
    """CPU seconds of a process and all its descendants (gunicorn's master and workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo, found = 0.0, [pid], False
    while todo:
        p = todo.pop()
        cpu = proc_cpu(p)
        if cpu is not None:
            total += cpu
            found = True
        todo.extend(children.get(p, []))
    return total if found else None


class CpuMonitor:
    """CPU used during a phase by the server process, by the PostgreSQL backends serving the bench
    database (local server only: found by their process title), and by this client process.
    Backends are sampled every quarter second, so one that exits mid-phase is still counted."""

    def __init__(self, db_name: str, server_pid: int | None = None):
        self.marker = f" {db_name} "
        self.server_pid = server_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _backends(self) -> list[int]:
        pids = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    title = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if title.startswith("postgres: ") and self.marker in title:
                    pids.append(int(entry.name))
        return pids

    def _sample(self, initial: bool = False) -> None:
        for pid in self._backends():
            cpu = proc_cpu(pid)
            if cpu is None:
                continue
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = cpu

    def _run(self) -> None:
        while not self.stop_event.wait(0.25):
            self._sample()

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self._sample(initial=True)
        self.server0 = tree_cpu(self.server_pid) if self.server_pid else None
        self.client0 = time.process_time()
        self.thread.start()

    def stop(self) -> dict[str, float | None]:
        self._sample()
        self.stop_event.set()
        self.thread.join()
        server = tree_cpu(self.server_pid) if self.server_pid else None
        return {
            "server": (server - self.server0) if server is not None and self.server0 is not None else None,
            "postgres": sum(self.last[p] - self.first[p] for p in self.last) if self.last else None,
            "client": time.process_time() - self.client0,
            "wall": time.perf_counter() - self.t0,
        }


# --- HTTP purchases ---------------------------------------------------------------------------


def sandbox_sign(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class HttpBuyer:
    """One client thread: a keep-alive connection and the four steps of a purchase."""

    def __init__(self, port: int, *, product_id: int, shop_id: int, sandbox_secret: str, app_id: str):
        self.port = port
        self.product_id = product_id
        self.shop_id = shop_id
        self.secret = sandbox_secret
        self.app_id = app_id
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.last_order_no: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        headers = {"Content-Length": str(len(body or b"")), **(headers or {})}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnects on the next request
            raise

    def checkout(self) -> tuple[dict, str]:
        body = json.dumps({"product_id": self.product_id, "quantity": 1, "contact": CONTACT, "query_password": QUERY_PASSWORD,
                           "confirm_no_reason_exclusion": True}).encode()
        status, data = self.request("POST", "/api/orders", body, {"Content-Type": "application/json"})
        if status != 201:
            raise PurchaseFailed(f"checkout {status}: {data[:200]!r}")
        created = json.loads(data)
        return created["order"], created["access_token"]

    def __call__(self) -> dict[str, float]:
        t0 = time.perf_counter()
        order, token = self.checkout()
        t1 = time.perf_counter()

        params = {
            "app_id": self.app_id,
            "out_trade_no": order["payment"]["out_trade_no"],
            "trade_no": "SBBENCH" + secrets.token_hex(10).upper(),
            "merchant_no": str(self.shop_id),
            "amount": str(order["amount"]),
            "currency": "CNY",
            "trade_status": "SUCCESS",
            "timestamp": str(int(time.time())),
            "nonce": secrets.token_hex(12),
        }
        params["sign"] = sandbox_sign(params, self.secret)
        status, data = self.request(
            "POST", "/pay/notify/sandbox/", urllib.parse.urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 200 or data.strip() != b"success":
            raise PurchaseFailed(f"notify {status}: {data[:200]!r}")
        t2 = time.perf_counter()

        path = f"/api/orders/{order['order_no']}"
        status, data = self.request("GET", path, headers={"X-Order-Token": token})
        if status != 200:
            raise PurchaseFailed(f"lookup {status}: {data[:200]!r}")
        detail = json.loads(data)
        if detail["status"] != "delivered" or not detail["keys"]:
            raise PurchaseFailed(f"order {order['order_no']} is {detail['status']} with {len(detail['keys'])} keys")
        key_id = detail["keys"][0]["id"]
        t3 = time.perf_counter()

        status, data = self.request("POST", f"{path}/keys/{key_id}/reveal", b"", {"X-Order-Token": token})
        if status != 200 or not json.loads(data).get("secret", "").startswith("BENCH-"):
            raise PurchaseFailed(f"reveal {status}: {data[:200]!r}")
        t4 = time.perf_counter()
        self.last_order_no = order["order_no"]
        return {"checkout": t1 - t0, "notify": t2 - t1, "lookup": t3 - t2, "reveal": t4 - t3, "purchase": t4 - t0}

    def close(self) -> None:
        self.conn.close()


# --- raw-SQL purchases ------------------------------------------------------------------------
# The statements the ORM sends for one purchase (docs/performance.md lists them), written by
# hand: same tables, same rows, same checks, same locks, same transactions. Left out is only what
# the ORM alone needs: savepoints, get-then-insert pairs (written as INSERT ... ON CONFLICT), the
# second UPDATE that stores the pay URL, and re-reading at checkout the rows just written.
#
# Every INSERT copies the columns this script does not set itself from a row the app wrote in
# the HTTP phase (a template), so the raw rows carry the same refund-policy snapshot, defaults
# and flags as the app's, and new columns with defaults need no change here.


class Template:
    """INSERT for ``table`` with ``explicit`` columns as parameters and every other column
    copied from one row the app wrote (``where``)."""

    def __init__(self, conn, table: str, where: str, params: tuple, explicit: list[str], suffix: str = "", rows: int = 1):
        cur = conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id LIMIT 1", params)
        row = cur.fetchone()
        if row is None:
            raise PurchaseFailed(f"no {table} row written by the app to copy ({where} {params})")
        names = [d.name for d in cur.description]
        jsonb = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND data_type IN ('json', 'jsonb')", (table,)
            )
        }
        missing = set(explicit) - set(names)
        if missing:
            raise PurchaseFailed(f"{table} has no column(s) {sorted(missing)}")
        self.rest = [n for n in names if n != "id" and n not in explicit]
        values = dict(zip(names, row, strict=True))
        self.rest_values = tuple(Jsonb(values[n]) if n in jsonb and values[n] is not None else values[n] for n in self.rest)
        one = "(" + ", ".join(["%s"] * (len(explicit) + len(self.rest))) + ")"
        self.sql = f"INSERT INTO {table} ({', '.join(explicit + self.rest)}) VALUES {', '.join([one] * rows)} {suffix}"

    def params(self, *rows: tuple) -> tuple:
        out: list = []
        for values in rows:
            out.extend(values)
            out.extend(self.rest_values)
        return tuple(out)


SQL_PRODUCT = """
SELECT p.id, p.shop_id, p.title, p.delivery, p.price, p.inspection_hours, p.max_per_order
FROM catalog_product p JOIN merchants_shop s ON s.id = p.shop_id
WHERE p.id = %s AND p.is_active AND s.is_active"""
SQL_STOCK = "SELECT count(*) FROM inventory_cardkey WHERE product_id = %s AND status = 'available'"
SQL_POLICY = "SELECT id, version, rules FROM catalog_refundpolicy WHERE product_id = %s ORDER BY version DESC LIMIT 1"
SQL_ORDER_LOCK = "SELECT status FROM orders_order WHERE id = %s FOR UPDATE"
SQL_PAYMENT_FIND = """
SELECT p.id, p.order_id, p.amount, p.currency, o.shop_id, o.status, o.product_id, o.quantity, o.inspection_hours, o.contact, o.order_no
FROM payments_payment p JOIN orders_order o ON o.id = p.order_id
WHERE p.out_trade_no = %s AND p.provider = 'sandbox'"""
SQL_PAYMENT_CLAIM = """
UPDATE payments_payment SET status = 'succeeded', gateway_trade_no = %s, paid_at = %s
WHERE id = %s AND status IN ('pending', 'failed')"""
SQL_ACCOUNT = "SELECT id FROM ledger_account WHERE code = %s"
SQL_KEY_TAKE = """
SELECT id FROM inventory_cardkey WHERE product_id = %s AND status = 'available'
ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"""
SQL_KEY_SELL = """
UPDATE inventory_cardkey SET status = 'sold', order_id = %s, sold_at = %s WHERE id = %s AND status = 'available'"""
SQL_ORDER_DELIVERED = """
UPDATE orders_order SET status = 'delivered', paid_at = %s, delivered_at = %s WHERE id = %s AND status = 'pending_payment'"""
SQL_ORDER_BY_NO = "SELECT id, access_token_hash, status FROM orders_order WHERE order_no = %s"
SQL_PAYMENT_OF_ORDER = "SELECT provider, out_trade_no, status, pay_url FROM payments_payment WHERE order_id = %s"
SQL_KEYS_OF_ORDER = "SELECT id, secret, first_revealed_at FROM inventory_cardkey WHERE order_id = %s ORDER BY id"
SQL_EVENTS_OF_ORDER = "SELECT kind, from_status, to_status, actor, note, at FROM orders_orderevent WHERE order_id = %s ORDER BY at, id"
SQL_CONFIRMATIONS_OF_ORDER = "SELECT kind, text, text_sha256, channel, at FROM orders_checkoutconfirmation WHERE order_id = %s ORDER BY id"
# The reveal: one guarded update stamps the first reveal and returns the secret (kadun.inventory.services.key_reveal).
SQL_REVEAL_STAMP = (
    "UPDATE inventory_cardkey SET first_revealed_at = COALESCE(first_revealed_at, %s) "
    "WHERE id = %s AND order_id = %s AND status = 'sold' AND withdrawn_at IS NULL RETURNING secret, first_revealed_at"
)

# What the app stores for the query password (kadun.orders.passwords: hmac_sha256$salt$digest);
# computing it is app CPU, not database work.
STORED_PASSWORD = "hmac_sha256$" + "5" * 16 + "$" + "d" * 64


def sql_templates(url: str, *, pending_order_no: str, delivered_order_no: str) -> dict[str, Template]:
    """Templates from two orders the app wrote: one left at checkout, one paid and revealed."""
    with psycopg.connect(url, autocommit=True) as conn:
        pending = conn.execute("SELECT id FROM orders_order WHERE order_no = %s", (pending_order_no,)).fetchone()[0]
        done = conn.execute("SELECT id FROM orders_order WHERE order_no = %s", (delivered_order_no,)).fetchone()[0]
        entry = conn.execute("SELECT id FROM ledger_journalentry WHERE kind = 'payment' AND ref_id = %s", (done,)).fetchone()[0]
        t = {
            "order": Template(
                conn, "orders_order", "id = %s", (pending,),
                ["order_no", "contact", "query_password", "access_token_hash", "shop_id", "product_id", "title", "delivery",
                 "quantity", "unit_price", "amount", "inspection_hours", "status", "created_at", "expires_at"],
                "RETURNING id",
            ),
            "event_created": Template(conn, "orders_orderevent", "order_id = %s AND kind = 'created'", (pending,), ["order_id", "at"]),
            "confirmation": Template(conn, "orders_checkoutconfirmation", "order_id = %s", (pending,), ["order_id", "at"]),
            "deadline_expire": Template(
                conn, "deadlines_deadline", "subject_id = %s AND kind = 'order_expire'", (pending,),
                ["subject_id", "due_at", "created_at"], "ON CONFLICT (kind, subject_id) DO NOTHING",
            ),
            "payment": Template(
                conn, "payments_payment", "order_id = %s", (pending,), ["order_id", "out_trade_no", "amount", "pay_url", "created_at"]
            ),
            "trade": Template(
                conn, "payments_sandboxtrade", "out_trade_no = (SELECT out_trade_no FROM payments_payment WHERE order_id = %s)",
                (pending,), ["out_trade_no", "trade_no", "merchant_no", "amount", "subject", "return_url", "created_at"],
            ),
            "entry": Template(
                conn, "ledger_journalentry", "id = %s", (entry,), ["idempotency_key", "ref_id", "memo", "created_at"], "RETURNING id"
            ),
            "escrow": Template(
                conn, "ledger_account", "code = %s", (f"escrow:order:{done}",), ["code", "owner_id", "balance"],
                "ON CONFLICT (code) DO UPDATE SET balance = ledger_account.balance + EXCLUDED.balance RETURNING id",
            ),
            "postings": Template(conn, "ledger_posting", "entry_id = %s", (entry,), ["entry_id", "account_id", "amount"], rows=2),
            "event_delivered": Template(
                conn, "orders_orderevent", "order_id = %s AND kind = 'paid_delivered'", (done,), ["order_id", "at"]
            ),
            "deadline_autoconfirm": Template(
                conn, "deadlines_deadline", "subject_id = %s AND kind = 'order_autoconfirm'", (done,),
                ["subject_id", "due_at", "created_at"], "ON CONFLICT (kind, subject_id) DO NOTHING",
            ),
            "outbox": Template(
                conn, "notifications_outboxmessage", "topic = 'email' AND payload->>'to' = %s", (CONTACT,),
                ["payload", "created_at", "next_attempt_at"],
            ),
            "reveal": Template(conn, "inventory_reveal", "order_id = %s", (done,), ["key_id", "order_id", "at"]),
        }
    return t


class SqlBuyer:
    """One client thread of the raw-SQL phase: its own connection, one purchase per call."""

    def __init__(self, url: str, *, product_id: int, shop_id: int, seq, templates: dict[str, Template], prepare_threshold: int | None = 5):
        # psycopg's defaults: server-side binding, statements prepared after 5 uses. (Django's
        # backend binds on the client and disables prepared statements unless OPTIONS say so.)
        self.conn = psycopg.connect(url, autocommit=True, prepare_threshold=prepare_threshold)
        self.product_id = product_id
        self.shop_id = shop_id
        self.seq = seq
        self.t = templates

    def __call__(self) -> dict[str, float]:
        conn, t = self.conn, self.t
        t0 = time.perf_counter()
        # 1. checkout: product, stock and refund policy read outside the transaction, as the app does.
        product = conn.execute(SQL_PRODUCT, (self.product_id,)).fetchone()
        if product is None:
            raise PurchaseFailed("product not found")
        _, shop_id, title, delivery, price, hours, _max = product
        if conn.execute(SQL_STOCK, (self.product_id,)).fetchone()[0] < 1:
            raise PurchaseFailed("out of stock")
        conn.execute(SQL_POLICY, (self.product_id,)).fetchone()  # its snapshot comes with the order template
        token = secrets.token_urlsafe(32)
        now = datetime.now(timezone.utc)
        expires = now + timedelta(minutes=15)
        order_no = now.strftime("%Y%m%d") + f"{next(self.seq):010d}"
        out_trade_no = "P" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(5).upper()
        with conn.transaction():
            order_id = conn.execute(
                t["order"].sql,
                t["order"].params((order_no, CONTACT, STORED_PASSWORD, hashlib.sha256(token.encode()).hexdigest(), shop_id,
                                   self.product_id, title, delivery, 1, price, price, hours, "pending_payment", now, expires)),
            ).fetchone()[0]
            conn.execute(t["event_created"].sql, t["event_created"].params((order_id, now)))
            conn.execute(t["confirmation"].sql, t["confirmation"].params((order_id, now)))  # 7天无理由 confirmed at checkout
            conn.execute(t["deadline_expire"].sql, t["deadline_expire"].params((order_id, expires, now)))
            pay_url = f"/pay/sandbox/{out_trade_no}/"
            conn.execute(t["payment"].sql, t["payment"].params((order_id, out_trade_no, price, pay_url, now)))
            conn.execute(
                t["trade"].sql,
                t["trade"].params((out_trade_no, "SB" + secrets.token_hex(10).upper(), str(shop_id), price, title, f"/order/{order_no}/", now)),
            )
        t1 = time.perf_counter()

        # 2. the gateway's notification: payment -> escrow, key allocated, order delivered.
        gateway_trade_no = "SBBENCH" + secrets.token_hex(10).upper()
        now = datetime.now(timezone.utc)
        with conn.transaction():
            row = conn.execute(SQL_PAYMENT_FIND, (out_trade_no,)).fetchone()
            if row is None:
                raise PurchaseFailed("unknown payment")
            payment_id, order_id, amount, currency, order_shop, order_status, product_id, quantity, hours, contact, order_no = row
            if amount != price or currency != "CNY" or str(order_shop) != str(self.shop_id):
                raise PurchaseFailed("notification mismatch")
            if conn.execute(SQL_PAYMENT_CLAIM, (gateway_trade_no, now, payment_id)).rowcount != 1:
                raise PurchaseFailed("duplicate notification")
            entry_id = conn.execute(
                t["entry"].sql, t["entry"].params((f"payment:{payment_id}", order_id, f"sandbox {gateway_trade_no}", now))
            ).fetchone()[0]
            external_id = conn.execute(SQL_ACCOUNT, ("external:sandbox",)).fetchone()[0]
            escrow_id = conn.execute(t["escrow"].sql, t["escrow"].params((f"escrow:order:{order_id}", order_id, amount))).fetchone()[0]
            conn.execute(t["postings"].sql, t["postings"].params((entry_id, external_id, -amount), (entry_id, escrow_id, amount)))
            order_status = conn.execute(SQL_ORDER_LOCK, (order_id,)).fetchone()[0]
            if order_status != "pending_payment":
                raise PurchaseFailed(f"order is {order_status}")
            key = conn.execute(SQL_KEY_TAKE, (product_id,)).fetchone()
            if key is None or conn.execute(SQL_KEY_SELL, (order_id, now, key[0])).rowcount != 1:
                raise PurchaseFailed("no key")
            if conn.execute(SQL_ORDER_DELIVERED, (now, now, order_id)).rowcount != 1:
                raise PurchaseFailed("order moved")
            conn.execute(t["event_delivered"].sql, t["event_delivered"].params((order_id, now)))
            conn.execute(t["deadline_autoconfirm"].sql, t["deadline_autoconfirm"].params((order_id, now + timedelta(hours=hours), now)))
            payload = {"to": contact, "subject": "[kadun] 订单已发货", "body": f"订单 {order_no} 已自动发货，请在订单页查看卡密。"}
            conn.execute(t["outbox"].sql, t["outbox"].params((Jsonb(payload), now, now)))
        t2 = time.perf_counter()

        # 3. lookup: the order by number and token, and what the page shows: payment, keys, events.
        found = conn.execute(SQL_ORDER_BY_NO, (order_no,)).fetchone()
        if found is None or not hmac.compare_digest(found[1], hashlib.sha256(token.encode()).hexdigest()):
            raise PurchaseFailed("lookup")
        conn.execute(SQL_PAYMENT_OF_ORDER, (found[0],)).fetchone()
        keys = conn.execute(SQL_KEYS_OF_ORDER, (found[0],)).fetchall()
        conn.execute(SQL_EVENTS_OF_ORDER, (found[0],)).fetchall()
        conn.execute(SQL_CONFIRMATIONS_OF_ORDER, (found[0],)).fetchall()
        key_id = keys[0][0]
        t3 = time.perf_counter()

        # 4. reveal: the order by number and token again, then in one transaction the guarded
        # update that stamps the first reveal and returns the secret, and the reveal log row.
        now = datetime.now(timezone.utc)
        found = conn.execute(SQL_ORDER_BY_NO, (order_no,)).fetchone()
        if found is None or not hmac.compare_digest(found[1], hashlib.sha256(token.encode()).hexdigest()):
            raise PurchaseFailed("reveal: order")
        with conn.transaction():
            if conn.execute(SQL_REVEAL_STAMP, (now, key_id, order_id)).fetchone() is None:
                raise PurchaseFailed("key not found")
            conn.execute(t["reveal"].sql, t["reveal"].params((key_id, order_id, now)))
        t4 = time.perf_counter()
        return {"checkout": t1 - t0, "notify": t2 - t1, "lookup": t3 - t2, "reveal": t4 - t3, "purchase": t4 - t0}

    def close(self) -> None:
        self.conn.close()


class Seq:
    """A thread-safe counter for order numbers."""

    def __init__(self, start: int):
        self.value = start
        self.lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self) -> int:
        with self.lock:
            self.value += 1
            return self.value


# --- report ---------------------------------------------------------------------------------


# Tables where the phases may differ on purpose, and why (none since the app writes the pay URL
# with the payment's INSERT and opens the escrow account with its balance, as the raw SQL does).
EXPECTED_DIFFERENCES: dict[str, str] = {}


def report(args, info: dict, apps: list[PhaseResult], raw: PhaseResult, total_seconds: float) -> None:
    phases = [*apps, raw]
    print()
    print(f"kadun purchase benchmark: N={args.n}, C={args.concurrency} client threads")
    print(
        f"machine: {info['cpus']} CPUs ({info['cpu_model']}), PostgreSQL {info['postgres']} "
        f"(synchronous_commit={info['synchronous_commit']}), Python {info['python']}, load average at start {info['loadavg']}"
    )
    print("the client threads, the server and PostgreSQL all run on this machine.")
    for app in apps:
        print(f"{app.name}: {app.label}")
    print(f"raw SQL: psycopg {psycopg.__version__}, server-side binding, prepare_threshold={args.raw_prepare_threshold}")
    print()
    header = f"{'phase':<20}{'purchases':>10}{'failed':>8}{'seconds':>9}{'purchases/s':>13}"
    print(header)
    print("-" * len(header))
    for p in phases:
        note = "  (stopped at --seconds)" if p.stopped_early else ""
        print(f"{p.name:<20}{p.done:>10}{p.failed:>8}{p.seconds:>9.1f}{p.rate:>13.1f}{note}")
    print()
    header = f"{'latency ms p50 / p99':<20}" + "".join(f"{s:>17}" for s in (*STEPS, "purchase"))
    print(header)
    print("-" * len(header))
    for p in phases:
        cells = "".join(f"{1000 * pct(p.steps[s], 50):>8.1f} /{1000 * pct(p.steps[s], 99):>7.1f}" for s in (*STEPS, "purchase"))
        print(f"{p.name:<20}{cells}")
    print()
    print("CPU per purchase, ms (whole phase incl. warm-up / purchases attempted)")
    print(f"{'':<20}{'server':>10}{'PostgreSQL':>12}{'client':>10}{'total':>10}   machine-bound max purchases/s")
    for p in phases:
        n = max(1, p.attempted)
        parts = [p.cpu.get(k) for k in ("server", "postgres", "client")]
        cells = "".join(f"{1000 * v / n:>{w}.1f}" if v is not None else f"{'-':>{w}}" for v, w in zip(parts, (10, 12, 10), strict=True))
        total = sum(v for v in parts if v is not None) / n
        bound = f"{info['cpus'] / total:.0f}" if total else "-"
        print(f"{p.name:<20}{cells}{1000 * total:>10.1f}   {bound}")
    for app in apps:
        if app.cpu.get("server") and app.workers == 1:
            print(f"{app.name}: one server process holds the GIL while it runs Python: at "
                  f"{1000 * app.cpu['server'] / max(1, app.attempted):.0f} ms of server CPU a purchase it cannot exceed about "
                  f"{max(1, app.attempted) / app.cpu['server']:.0f} purchases/s on any machine")
    print()
    print("database work per purchase (PostgreSQL statistics, warm-up included): rows inserted / updated")
    tables = sorted(set().union(*(p.writes for p in phases)))
    print(f"{'table':<30}" + "".join(f"{p.name[:14]:>16}" for p in phases))
    for table in tables:
        cells = []
        for p in phases:
            ins, upd = p.writes.get(table, (0, 0))
            n = max(1, p.attempted)
            cells.append(f"{ins / n:.1f} / {upd / n:.1f}")
        flag = "" if len(set(cells)) == 1 else ("   (expected, see below)" if table in EXPECTED_DIFFERENCES else "   <- differs")
        print(f"{table:<30}" + "".join(f"{c:>16}" for c in cells) + flag)
    print(f"{'transactions (commits)':<30}" + "".join(f"{p.commits / max(1, p.attempted):>16.1f}" for p in phases))
    for table, why in EXPECTED_DIFFERENCES.items():
        if table in apps[0].writes and apps[0].writes.get(table) != raw.writes.get(table):
            print(f"  {table}: {why}")
    print()
    for app in apps:
        ratio = app.rate / raw.rate if raw.rate else 0.0
        print(f"{app.name}: app / raw = {app.rate:.1f} / {raw.rate:.1f} = {100 * ratio:.1f}%   "
              f"(bar >= 40%: {'met' if ratio >= 0.4 else 'NOT met'})")
    for p in phases:
        for err in p.errors[:5]:
            print(f"  {p.name} error: {err}")
    print(f"total run time {total_seconds:.0f} s")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="purchases per phase (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--seconds", type=float, default=60.0, help="a phase starts no purchase after this long (default 60)")
    parser.add_argument("--db-name", default="kadun_bench", help="database to create and drop (default kadun_bench)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database behind for inspection")
    parser.add_argument("--server", default="waitress,gunicorn",
                        help="HTTP phases to run: waitress (kadun serve, one process), gunicorn (as docs/deploy.md), or both (default)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes (default: CPUs)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    parser.add_argument(
        "--raw-prepare-threshold", default="5",
        help="psycopg prepare_threshold for the raw-SQL phase: 5 (psycopg's default) or 'none' (no prepared statements, as Django)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    admin_url = admin_url_from_env()
    if not admin_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL (the server's maintenance database, e.g. /postgres)")
    db_url = with_dbname(admin_url, args.db_name)
    info = machine(admin_url)
    var_dir = Path(tempfile.mkdtemp(prefix="kadun-bench-"))
    (var_dir / "static").mkdir()
    port = free_port()
    env = app_env(db_url, var_dir, port)
    app_id = env.get("KADUN_SANDBOX_APP_ID", "kadun-sandbox")
    warmup = args.concurrency
    server: Server | None = None

    say = sayer()

    try:
        say(f"creating database {args.db_name} and migrating it")
        recreate_database(admin_url, args.db_name)
        kadun(env, "migrate", "--noinput", "-v0")
        say(f"seeding a shop and a product per phase with {args.n + warmup} keys each")
        servers = [x.strip() for x in args.server.split(",") if x.strip()]
        if not servers or set(servers) - {"waitress", "gunicorn"}:
            raise SystemExit("--server: waitress, gunicorn or both")
        seeded = seed(env, keys=args.n + warmup, labels=[f"http-{kind}" for kind in servers] + ["raw"])
        shop_id = seeded["shop_id"]

        servers = [x.strip() for x in args.server.split(",") if x.strip()]
        buyers: list[HttpBuyer] = []
        apps: list[PhaseResult] = []
        pending_order_no = None
        for kind in servers:
            say(f"starting {kind} on port {port}")
            server = Server(env, port, var_dir / f"server-{kind}.log", kind=kind, workers=args.workers,
                            threads=args.threads if kind == "gunicorn" else 16)
            server.wait_ready()

            def http_buyer(i: int, product=seeded["products"][f"http-{kind}"]) -> HttpBuyer:
                buyer = HttpBuyer(port, product_id=product, shop_id=shop_id, sandbox_secret=env["KADUN_SANDBOX_SECRET"], app_id=app_id)
                buyers.append(buyer)
                return buyer

            if pending_order_no is None:
                # One order left at checkout: the raw phase copies its rows' other columns (see Template).
                template_buyer = http_buyer(-1)
                pending_order_no = template_buyer.checkout()[0]["order_no"]
                template_buyer.close()
            time.sleep(1.5)  # let the server's connection report its statistics
            before = db_counters(db_url)
            say(f"HTTP phase: {server.label}")
            app = run_phase(
                f"HTTP ({kind})", http_buyer, n=args.n, concurrency=args.concurrency, warmup=warmup, seconds=args.seconds,
                monitor=CpuMonitor(args.db_name, server.proc.pid),
            )
            app.label, app.workers = server.label, args.workers if kind == "gunicorn" else 1
            say(f"  {app.done} purchases in {app.seconds:.1f} s = {app.rate:.1f}/s ({app.failed} failed)")
            server.stop()
            server = None
            if app.failed:
                print("last lines of the server's log:\n" + "".join((var_dir / f"server-{kind}.log").read_text().splitlines(True)[-20:]))
            time.sleep(1.0)
            count_writes(app, before, db_counters(db_url))
            apps.append(app)
        delivered_order_no = next((b.last_order_no for b in buyers if b.last_order_no), None)
        if delivered_order_no is None:
            raise SystemExit("no purchase succeeded over HTTP: nothing to compare. " + "; ".join(apps[0].errors[:3]))

        say("raw SQL phase")
        templates = sql_templates(db_url, pending_order_no=pending_order_no, delivered_order_no=delivered_order_no)
        seq = Seq(int(time.time()) % 10**6 * 10**4)
        before = db_counters(db_url)
        raw = run_phase(
            "raw SQL (psycopg)",
            lambda i: SqlBuyer(
                db_url, product_id=seeded["products"]["raw"], shop_id=shop_id, seq=seq, templates=templates,
                prepare_threshold=None if args.raw_prepare_threshold.lower() == "none" else int(args.raw_prepare_threshold),
            ),
            n=args.n, concurrency=args.concurrency, warmup=warmup, seconds=args.seconds, monitor=CpuMonitor(args.db_name),
        )
        say(f"  {raw.done} purchases in {raw.seconds:.1f} s = {raw.rate:.1f}/s ({raw.failed} failed)")
        time.sleep(1.0)
        count_writes(raw, before, db_counters(db_url))
        report(args, info, apps, raw, time.perf_counter() - started)
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            drop_database(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
