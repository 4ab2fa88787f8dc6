"""``kadun serve`` (waitress, as deployed) behind a TLS-terminating reverse proxy.

A real ``kadun serve`` process on a SQLite file of its own, with the settings docs/deploy.md
gives for nginx in front (``KADUN_TRUSTED_PROXIES=127.0.0.1``, ``KADUN_HTTPS=1``,
``KADUN_PROXY_SSL_HEADER=X-Forwarded-Proto``), and the loopback forwarder of
``test_behind_proxy`` in front of it, appending ``X-Forwarded-For`` and overwriting
``X-Forwarded-Proto: https``. Clients are told apart by their loopback source address. The
server must hand the forwarded headers to kadun untouched: kadun's ``client_ip`` decides whom
to believe."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kadun.core.tests.test_behind_proxy import Visitor, _forwarder

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "kadun.cli"]

SEED = r"""
import json
from kadun.accounts.services import user_create
from kadun.catalog.services import product_create
from kadun.inventory.models import CardKey
from kadun.inventory.services import keys_import
from kadun.merchants.services import shop_create
from kadun.orders.services import order_create
from kadun.payments.providers.sandbox import notification_params, sandbox_trade_finish
from kadun.payments.services import notification_handle

shop = shop_create(owner=user_create(username="proxy-merchant", password="Zq8-wuhan-lantern-77"), name="代理测试店铺")
from kadun.merchants.onboarding import shop_preapprove
shop_preapprove(shop_id=shop.pk); shop.refresh_from_db()  # 资质审核 passed
product = product_create(shop=shop, data={"title": "代理测试商品", "price": 1000, "delivery": "auto", "category": "game_card"})
keys_import(product=product, lines=[(1, "PROXY-KEY-000001-SECRET"), (2, "PROXY-KEY-000002-SECRET")], source="cli")
order, token, _ = order_create(product_id=product.pk, quantity=1, contact="guest@example.com", query_password="chaxun123",
                               confirm_no_reason_exclusion=True)
trade = sandbox_trade_finish(out_trade_no=order.payment.out_trade_no, paid=True)
assert notification_handle(provider="sandbox", params=notification_params(trade)) != "failed"
key = CardKey.objects.get(order=order)
print("SEED " + json.dumps({"order_no": order.order_no, "token": token, "key_id": key.pk}))
"""

REVEAL_IPS = r"""
from kadun.inventory.models import Reveal
print("IPS " + ",".join(Reveal.objects.order_by("pk").values_list("ip", flat=True)))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(var: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KADUN_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        KADUN_VAR_DIR=str(var),
        KADUN_SITE_URL=f"https://127.0.0.1:{port}",
        KADUN_TRUSTED_PROXIES="127.0.0.1",
        KADUN_HTTPS="1",
        KADUN_PROXY_SSL_HEADER="X-Forwarded-Proto",
        KADUN_LOOKUP_IP_RATE="3/h",
        PYTHONUNBUFFERED="1",
    )
    return env


def _shell(env: dict, code: str, tag: str) -> str:
    out = subprocess.run(CLI + ["shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return next(line for line in out.stdout.splitlines() if line.startswith(tag + " ")).split(" ", 1)[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var = tmp_path_factory.mktemp("kadun-serve-proxy")
    port = _free_port()
    env = _env(var, port)
    subprocess.run(CLI + ["migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    seed = json.loads(_shell(env, SEED, "SEED"))
    log = open(var / "serve.log", "w")
    server = subprocess.Popen(CLI + ["serve", "--port", str(port), "--no-sweeper"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            assert server.poll() is None, (var / "serve.log").read_text()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/openapi.json")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("kadun serve did not start: " + (var / "serve.log").read_text())
        proxy = _forwarder(f"http://127.0.0.1:{port}", proto="https")
        yield {"proxy": f"http://127.0.0.1:{proxy.server_address[1]}", "env": env, "seed": seed}
        proxy.shutdown()
        proxy.server_close()
    finally:
        server.terminate()
        server.wait(15)
        log.close()


def _https_visitor(site, source: str) -> Visitor:
    return Visitor(site["proxy"], source, scheme="https")


def test_a_proxied_https_request_is_answered_not_redirected_to_itself(site):
    status, text, headers = _https_visitor(site, "127.0.0.6").get("/orders/lookup/")
    assert status == 200, (status, headers.get("Location"))
    assert "Strict-Transport-Security" in headers


def test_the_reveal_log_stores_the_client_behind_the_proxy(site):
    seed = site["seed"]
    guest = _https_visitor(site, "127.0.0.4")
    assert guest.get(f"/o/{seed['token']}/")[0] == 302
    # The guest's own X-Forwarded-For is ignored: only what the proxy saw counts.
    status, text, _ = guest.post(f"/orders/{seed['order_no']}/keys/{seed['key_id']}/reveal/", {}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert status == 200, text[:300]
    assert "PROXY-KEY-00000" in text
    assert _shell(site["env"], REVEAL_IPS, "IPS") == "127.0.0.4"


def test_two_clients_behind_the_proxy_are_limited_separately(site):
    alice, bob = _https_visitor(site, "127.0.0.2"), _https_visitor(site, "127.0.0.3")

    def lookup(visitor, order_no):
        return visitor.post("/orders/lookup/", {"order_no": order_no, "query_password": "wrong-guess"})[0]

    assert [lookup(alice, f"2026010100000000{i:02d}") for i in range(4)] == [404, 404, 404, 429]
    # Bob comes through the same proxy: his own bucket.
    assert lookup(bob, "202601010000000098") == 404


def test_without_a_configured_proxy_waitress_strips_forwarded_headers(settings):
    from kadun.deadlines.management.commands.serve import proxy_header_options

    settings.KADUN_TRUSTED_PROXIES, settings.KADUN_PROXY_COUNT, settings.SECURE_PROXY_SSL_HEADER = [], 0, None
    assert proxy_header_options() == {"clear_untrusted_proxy_headers": True}
    settings.KADUN_PROXY_COUNT = 1
    assert proxy_header_options() == {"clear_untrusted_proxy_headers": False}
