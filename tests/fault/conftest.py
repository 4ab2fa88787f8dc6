"""Fault tests run kadun as it runs in production: real server processes (``kadun serve``,
``kadun sweep``) on a PostgreSQL database of their own, driven over real HTTP.

Nothing here goes through Django's test client or pytest-django's test database. A session-wide
template database is migrated once (``kadun migrate``); each test gets a fresh copy of it
(``CREATE DATABASE ... TEMPLATE``), seeds it with ``kadun shell -c`` calling the services, and
starts the processes it needs with the four secrets set explicitly, so the test can sign the
sandbox gateway's notifications itself. Every database is dropped at the end.

The processes only ever listen on and talk to 127.0.0.1.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
APP_ID = "kadun-sandbox"
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
_copies = itertools.count(1)


# --- databases --------------------------------------------------------------------------------


def with_dbname(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def admin_url() -> str:
    """The server the suite runs against (DATABASE_URL), on its maintenance database."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return with_dbname(url, "postgres")
    return DEFAULT_ADMIN_URL


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """One kadun process (server or sweeper), restartable; its output is appended to one log."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path, ready=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.ready = ready
        self.popen: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> "Proc":
        log = open(self.log_path, "a")
        log.write(f"\n===== start #{self.starts + 1} at {time.strftime('%H:%M:%S')} =====\n")
        log.flush()
        self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()  # the child holds its own descriptor
        self.starts += 1
        if self.ready:
            self.ready(self)
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL: no handler, no cleanup, open transactions die with the connection."""
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)
        self.kills += 1

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(15)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# --- HTTP -------------------------------------------------------------------------------------


class Stats:
    """Every answer the clients got, by endpoint and status; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()  # (endpoint, status)
        self.conn_errors: Counter = Counter()  # (endpoint, "refused" | "dropped")
        self.server_errors: list[str] = []  # a few 5xx bodies, for the report

    def record(self, endpoint: str, status: int, body: bytes) -> None:
        with self.lock:
            self.statuses[(endpoint, status)] += 1
            if status >= 500 and len(self.server_errors) < 10:
                self.server_errors.append(f"{endpoint} {status}: {body[:300]!r}")

    def conn_error(self, endpoint: str, kind: str) -> None:
        with self.lock:
            self.conn_errors[(endpoint, kind)] += 1

    def dropped(self) -> Counter:
        """Requests whose connection dropped after they were sent (outcome unknown), by endpoint."""
        return Counter({ep: n for (ep, kind), n in self.conn_errors.items() if kind == "dropped"})

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def fivexx(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)

    def table(self) -> str:
        rows = sorted(self.statuses.items())
        return ", ".join(f"{ep} {st}×{n}" for (ep, st), n in rows)


class ConnectionTrouble(Exception):
    """The server could not be reached or dropped the connection: the outcome is unknown."""


class Client:
    """One keep-alive HTTP/1.1 connection to the server, reopened after any connection error."""

    def __init__(self, port: int, stats: Stats, *, timeout: float = 120):
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, endpoint: str, method: str, path: str, *, json_body=None, form=None, headers=None) -> tuple[int, bytes]:
        hdrs = dict(headers or {})
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        hdrs["Content-Length"] = str(len(body))
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=hdrs)
            response = conn.getresponse()
            data = response.read()
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            # Refused: the server was down. Anything else: the connection dropped with the request
            # sent (or about to be), so the client cannot tell whether it was processed.
            self.stats.conn_error(endpoint, "refused" if isinstance(exc, ConnectionRefusedError) else "dropped")
            raise ConnectionTrouble(f"{endpoint}: {type(exc).__name__}: {exc}") from exc
        self.stats.record(endpoint, response.status, data)
        return response.status, data

    # The buyer's API, as a guest.
    def checkout(self, product_id: int, *, quantity: int = 1) -> tuple[int, dict]:
        status, data = self.request(
            "checkout", "POST", "/api/orders",
            json_body={"product_id": product_id, "quantity": quantity, "contact": "buyer@example.com", "query_password": "chaxun-123",
                       "confirm_no_reason_exclusion": True},
        )
        return status, _json(data)

    def order(self, order_no: str, token: str) -> tuple[int, dict]:
        status, data = self.request("order", "GET", f"/api/orders/{order_no}", headers={"X-Order-Token": token})
        return status, _json(data)

    def reveal(self, order_no: str, token: str, key_id: int) -> tuple[int, dict]:
        status, data = self.request("reveal", "POST", f"/api/orders/{order_no}/keys/{key_id}/reveal", headers={"X-Order-Token": token})
        return status, _json(data)

    def confirm(self, order_no: str, token: str) -> tuple[int, dict]:
        status, data = self.request("confirm", "POST", f"/api/orders/{order_no}/confirm", headers={"X-Order-Token": token})
        return status, _json(data)

    def notify(self, params: dict[str, str]) -> tuple[int, str]:
        status, data = self.request("notify", "POST", "/pay/notify/sandbox/", form=params)
        return status, data.decode(errors="replace").strip()


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {"_raw": data[:300].decode(errors="replace")}
    return value if isinstance(value, dict) else {"_value": value}


def sandbox_sign(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


# --- one kadun installation -------------------------------------------------------------------


SEED = r"""
import json, os, secrets
from kadun.accounts.services import user_create
from kadun.catalog.services import product_create
from kadun.inventory.services import keys_import
from kadun.merchants.services import shop_create

spec = json.loads(os.environ["FAULT_SEED"])
user = user_create(username="fault-merchant", password="Kq9-" + secrets.token_urlsafe(16))  # nothing like the username
shop = shop_create(owner=user, name="故障测试店铺")
from kadun.merchants.onboarding import shop_preapprove
shop_preapprove(shop_id=shop.pk); shop.refresh_from_db()  # 资质审核 passed
out = {"shop_id": shop.pk, "products": []}
for n, keys in enumerate(spec["products"]):
    product = product_create(shop=shop, data={"title": f"故障测试商品{n + 1}", "price": spec["price"], "delivery": "auto", "category": "game_card"})
    tag = secrets.token_hex(4).upper()
    report = keys_import(product=product, lines=[(i + 1, f"FAULT-{n + 1}-{tag}-{i:06d}") for i in range(keys)], source="cli")
    assert report.imported == keys, report.as_dict()
    out["products"].append({"id": product.pk, "keys": keys, "tag": tag})
print("FAULT-SEED " + json.dumps(out))
"""


class Site:
    """A fresh database cloned from the migrated template, and the processes running on it."""

    def __init__(self, *, db_name: str, var_dir: Path, secret_env: dict[str, str]):
        self.db_name = db_name
        self.db_url = with_dbname(admin_url(), db_name)
        self.var_dir = var_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sandbox_secret = secret_env["KADUN_SANDBOX_SECRET"]
        self.env = app_env(db_url=self.db_url, var_dir=var_dir, secret_env=secret_env, port=self.port)
        self.procs: list[Proc] = []
        self._sql = None

    # CLI ------------------------------------------------------------------------------------
    def run(self, *args: str, extra_env: dict | None = None, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [PY, "-m", "kadun.cli", *args], cwd=ROOT, env={**self.env, **(extra_env or {})},
            capture_output=True, text=True, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kadun {' '.join(args)[:80]} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def seed(self, *, products: list[int], price: int = 1000) -> dict:
        out = self.run("shell", "-c", SEED, extra_env={"FAULT_SEED": json.dumps({"products": products, "price": price})}).stdout
        line = next(line for line in out.splitlines() if line.startswith("FAULT-SEED "))
        return json.loads(line.split(" ", 1)[1])

    def ledger_check(self) -> subprocess.CompletedProcess:
        return self.run("ledger-check", check=False, timeout=300)

    # processes ------------------------------------------------------------------------------
    def server(self, *, threads: int = 16, extra_env: dict | None = None, sweeper: bool = True) -> Proc:
        argv = [PY, "-m", "kadun.cli", "serve", "--port", str(self.port), "--threads", str(threads)]
        if not sweeper:
            argv.append("--no-sweeper")
        proc = Proc("server", argv, {**self.env, **(extra_env or {})}, self.var_dir / "server.log", ready=self._wait_ready)
        self.procs.append(proc)
        return proc

    def sweeper(self, name: str, *, extra_env: dict | None = None) -> Proc:
        proc = Proc(name, [PY, "-m", "kadun.cli", "sweep"], {**self.env, **(extra_env or {})}, self.var_dir / f"{name}.log")
        self.procs.append(proc)
        return proc

    def _wait_ready(self, proc: Proc, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive():
                raise AssertionError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/openapi.json")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{proc.name} did not answer within {timeout}s:\n{proc.log_tail()}")

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.stop()

    # HTTP -----------------------------------------------------------------------------------
    def client(self, stats: Stats) -> Client:
        return Client(self.port, stats)

    def notification(self, *, out_trade_no: str, amount: int, shop_id: int, status: str = "SUCCESS") -> dict[str, str]:
        """What the sandbox gateway POSTs for a paid trade, signed with the shared secret."""
        params = {
            "app_id": APP_ID,
            "out_trade_no": out_trade_no,
            "trade_no": "SB" + secrets.token_hex(10).upper(),
            "merchant_no": str(shop_id),
            "amount": str(amount),
            "currency": "CNY",
            "trade_status": status,
            "timestamp": str(int(time.time())),
            "nonce": secrets.token_hex(12),
        }
        params["sign"] = sandbox_sign(params, self.sandbox_secret)
        return params

    # SQL ------------------------------------------------------------------------------------
    def connect(self):
        import psycopg

        return psycopg.connect(self.db_url, autocommit=True, connect_timeout=10)

    def sql(self, query: str, params=None) -> list[tuple]:
        if self._sql is None or self._sql.closed:
            self._sql = self.connect()
        cur = self._sql.execute(query, params)
        return cur.fetchall() if cur.description else []

    def close(self) -> None:
        self.stop_all()
        if self._sql is not None:
            self._sql.close()


def app_env(*, db_url: str, var_dir: Path, secret_env: dict[str, str], port: int | None = None) -> dict:
    """The environment of every kadun process: the caller's, less any kadun or Django setting it
    carries, plus the database, a var dir, explicit secrets and a fast sweeper."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KADUN_") and k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(secret_env)
    env.update(
        DATABASE_URL=db_url,
        KADUN_VAR_DIR=str(var_dir),
        KADUN_SANDBOX_APP_ID=APP_ID,
        KADUN_PAYMENT_PROVIDERS="sandbox,wallet",  # a deployment has it off; these tests pay in it
        KADUN_SWEEP_INTERVAL_SECONDS="0.2",
        PYTHONUNBUFFERED="1",
    )
    if port:
        env["KADUN_SITE_URL"] = f"http://127.0.0.1:{port}"
    return env


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fault_template(tmp_path_factory):
    """A database migrated once with ``kadun migrate``, cloned for each test; dropped at the end."""
    import psycopg

    try:
        psycopg.connect(admin_url(), connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    secret_env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "KADUN_CARD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),  # a Fernet key
        "KADUN_KEY_HASH_SECRET": secrets.token_urlsafe(32),
        "KADUN_SANDBOX_SECRET": secrets.token_urlsafe(32),
        "KADUN_EVIDENCE_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),  # an Ed25519 private key
        "KADUN_EVIDENCE_HASH_SECRET": secrets.token_urlsafe(32),
    }
    name = f"kadun_fault_{os.getpid()}"
    var = tmp_path_factory.mktemp("kadun-fault")
    drop_database(name)
    _admin(f'CREATE DATABASE "{name}"')
    try:
        env = app_env(db_url=with_dbname(admin_url(), name), var_dir=var / "migrate", secret_env=secret_env)
        subprocess.run([PY, "-m", "kadun.cli", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
        yield {"name": name, "secret_env": secret_env, "var": var}
    finally:
        drop_database(name)


@pytest.fixture
def kadun_site(fault_template, request):
    """A fresh migrated database and a ``Site`` to seed it and run processes on it."""
    name = f"{fault_template['name']}_{next(_copies)}"
    drop_database(name)
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{fault_template["name"]}"')
    var = fault_template["var"] / request.node.name[:40]
    var.mkdir(parents=True, exist_ok=True)
    site = Site(db_name=name, var_dir=var, secret_env=fault_template["secret_env"])
    try:
        yield site
    finally:
        site.close()
        drop_database(name)
