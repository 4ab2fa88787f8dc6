"""kadun behind a real reverse proxy: a loopback forwarder that appends X-Forwarded-For, as nginx
does, in front of a live server. Clients are told apart by their own loopback source address
(127.0.0.2, 127.0.0.3 ...), so the server sees only the proxy at 127.0.0.1."""
from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import buy, make_product, pay
from kadun.inventory.models import CardKey, Reveal

pytestmark = pytest.mark.django_db(transaction=True)

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _forwarder(upstream: str, *, proto: str | None = None):
    """A proxy in front of ``upstream``. ``proto``: it terminates TLS too and overwrites
    X-Forwarded-Proto with it on every request (nginx: ``proxy_set_header X-Forwarded-Proto $scheme``)."""
    target = urllib.parse.urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            seen = self.client_address[0]
            prior = headers.pop("X-Forwarded-For", None)
            headers["X-Forwarded-For"] = f"{prior}, {seen}" if prior else seen  # $proxy_add_x_forwarded_for
            if proto:
                headers = {k: v for k, v in headers.items() if k.lower() != "x-forwarded-proto"}
                headers["X-Forwarded-Proto"] = proto
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30, source_address=("127.0.0.1", 0))
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in HOP_HEADERS and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def proxy(live_server, settings):
    settings.KADUN_TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.KADUN_PROXY_COUNT = 0
    server = _forwarder(live_server.url)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Visitor:
    """A browser at one loopback address: keeps cookies, fills in the CSRF token."""

    def __init__(self, base: str, source: str, *, scheme: str = "http"):
        self.base = urllib.parse.urlsplit(base)
        self.source = source
        self.scheme = scheme  # what the browser's address bar says (https behind a TLS proxy)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=30, source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = urllib.parse.urlunsplit(self.base._replace(scheme=self.scheme))
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text, dict(response.getheaders())

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict, **kw):
        if "csrftoken" not in self.cookies:
            self.get("/orders/lookup/")
        return self.request("POST", path, form, **kw)


def _lookup(visitor: Visitor, order_no: str, password: str = "wrong-guess") -> int:
    return visitor.post("/orders/lookup/", {"order_no": order_no, "query_password": password})[0]


def test_two_clients_behind_the_proxy_are_limited_separately(proxy, settings):
    settings.KADUN_LOOKUP_IP_RATE = "3/h"
    alice, bob = Visitor(proxy, "127.0.0.2"), Visitor(proxy, "127.0.0.3")
    for i in range(3):
        assert _lookup(alice, f"2026010100000000{i:02d}") == 404
    assert _lookup(alice, "202601010000000099") == 429
    # Bob comes through the same proxy: his own bucket.
    assert _lookup(bob, "202601010000000098") == 404


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(live_server, settings):
    """A visitor who reaches the server directly cannot pick a fresh address for each try."""
    settings.KADUN_TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.KADUN_LOOKUP_IP_RATE = "3/h"
    mallory = Visitor(live_server.url, "127.0.0.9")
    assert mallory.get("/orders/lookup/")[0] == 200
    statuses = [
        mallory.request("POST", "/orders/lookup/", {"order_no": f"2026010100000000{i:02d}", "query_password": "x"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"})[0]
        for i in range(4)
    ]
    assert statuses == [404, 404, 404, 429]


def test_the_reveal_log_stores_the_client_behind_the_proxy(proxy):
    order, token, _ = buy(make_product(keys=2))
    pay(order)
    key = CardKey.objects.filter(order=order).first()
    guest = Visitor(proxy, "127.0.0.4")
    assert guest.get(f"/o/{token}/")[0] == 302
    # The guest also sends an X-Forwarded-For of their own: only what the proxy saw counts.
    status, text, _ = guest.post(f"/orders/{order.order_no}/keys/{key.pk}/reveal/", {}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert status == 200, text[:300]
    assert list(Reveal.objects.values_list("ip", flat=True)) == ["127.0.0.4"]


def test_the_api_reveal_log_stores_the_client_behind_the_proxy(proxy):
    order, token, _ = buy(make_product(keys=2))
    pay(order)
    key = CardKey.objects.filter(order=order).first()
    guest = Visitor(proxy, "127.0.0.5")
    status, text, _ = guest.request("POST", f"/api/orders/{order.order_no}/keys/{key.pk}/reveal", headers={"X-Order-Token": token})
    assert status == 200, text[:300]
    assert re.search(r'"secret"', text)
    assert list(Reveal.objects.values_list("ip", flat=True)) == ["127.0.0.5"]
