"""The 验货 HTTP checker: only public addresses, resolved once and pinned (no SSRF, no DNS
rebinding), URLs validated at save, every failure "error", and a real local checker server."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from conftest import make_product
from kadun.catalog.errors import InvalidProduct
from kadun.catalog.models import Product
from kadun.catalog.services import checker_set
from kadun.inventory import checkers
from kadun.inventory.tests.test_checkers import SECRET, _api, _sold, _verify_api

pytestmark = pytest.mark.django_db


# --- HTTP checker: addresses ----------------------------------------------------------------


BLOCKED = [
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "100.100.100.200",  # cloud metadata inside 100.64.0.0/10
    "169.254.169.254",  # link-local cloud metadata
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
    "0.0.0.0",
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "172.16.0.5",
    "192.168.1.1",
    "fc00::1",
    "fe80::1",
    "224.0.0.1",
    "198.18.0.1",
]


class _Net:
    """A fake network: answers DNS from a script and records every connection attempt."""

    def __init__(self, monkeypatch, answers: list[str]):
        self.answers = list(answers)
        self.lookups: list[str] = []
        self.connects: list[tuple] = []

        def getaddrinfo(host, port, *args, **kwargs):
            self.lookups.append(host)
            address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port or 80))]

        def create_connection(address, *args, **kwargs):
            self.connects.append(address)
            raise ConnectionRefusedError("fake network")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


HTTP_CONFIG = {"kind": "http", "url": "http://checker.example/verify", "secret": SECRET}


@pytest.mark.parametrize("address", BLOCKED)
def test_a_name_resolving_to_a_non_global_address_is_never_called(monkeypatch, settings, address):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = False
    net = _Net(monkeypatch, [address])

    outcome = checkers.run(HTTP_CONFIG, "KEY-1", 1)

    assert outcome.result == "error" and "refused" in outcome.raw
    assert net.connects == []


@pytest.mark.parametrize(
    "address", ["100.100.100.200", "169.254.169.254", "[::ffff:127.0.0.1]", "[2002:7f00:1::1]", "10.0.0.1", "0.0.0.0", "localhost", "LOCALHOST:8080"]
)
def test_a_url_with_a_non_global_ip_is_refused_at_save(shop, settings, address):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = False
    product = make_product(shop)

    with pytest.raises(InvalidProduct) as refused:
        checker_set(shop=shop, product_id=product.pk, config={"kind": "http", "url": f"http://{address}/v", "secret": SECRET})

    assert refused.value.code == "invalid_checker"


def test_rebinding_connects_only_to_the_address_vetted_first(monkeypatch, settings):
    """A resolver answering a public address first and loopback afterwards: one lookup, and the
    connection goes to the public address that was checked."""
    settings.KADUN_CHECKER_ALLOW_PRIVATE = False
    net = _Net(monkeypatch, ["93.184.216.34", "127.0.0.1"])

    outcome = checkers.run(HTTP_CONFIG, "KEY-1", 1)

    assert outcome.result == "error"
    assert net.lookups == ["checker.example"]
    assert net.connects == [("93.184.216.34", 80)]


def test_a_global_address_inside_ipv4_mapped_ipv6_is_allowed():
    assert checkers.address_allowed("::ffff:93.184.216.34")
    assert checkers.address_allowed("2606:4700::1111")
    assert not checkers.address_allowed("not-an-address")


# --- HTTP checker: URLs at save -------------------------------------------------------------


MALFORMED = [
    "ftp://checker.example/v",
    "http://",
    "http:///path",
    "http://user:pw@checker.example/v",
    "http://checker.example:99999/v",
    "http://checker.example:0/v",
    "http://check er.example/v",
    "http://[::1/v",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_url_is_refused_through_the_api(shop, url):
    product = make_product(shop)

    response = _api(shop.owner).put(
        f"/api/merchant/products/{product.pk}/checker", {"kind": "http", "url": url, "secret": SECRET}, content_type="application/json"
    )

    assert response.status_code == 400 and response.json()["code"] == "invalid_checker"
    assert Product.objects.get(pk=product.pk).checker == {"kind": "none"}


def test_an_overlong_url_is_refused_not_cut(shop):
    product = make_product(shop)

    with pytest.raises(InvalidProduct) as refused:
        checker_set(shop=shop, product_id=product.pk, config={"kind": "http", "url": "https://checker.example/" + "a" * 300, "secret": SECRET})

    assert refused.value.code == "invalid_checker"


@pytest.mark.parametrize("url", ["http://user@checker.example/v", "http://[::1/v", "http://checker.example:70000/"])
def test_a_malformed_url_is_refused_on_the_page(client, shop, url):
    product = make_product(shop)
    client.force_login(shop.owner)

    response = client.post(reverse("aftersales:checker_edit", args=[product.pk]), {"kind": "http", "url": url, "secret": SECRET})

    assert response.status_code == 400
    assert Product.objects.get(pk=product.pk).checker == {"kind": "none"}


@pytest.mark.parametrize("url", ["http://[::1/v", "http://checker.example:99999/", "gopher://x/", None])
def test_a_stored_malformed_url_answers_error_not_500(shop, url):
    product = make_product(shop, keys=1)
    Product.objects.filter(pk=product.pk).update(checker={"kind": "http", "url": url, "secret": SECRET})
    order, token, key = _sold(product)

    response = _verify_api(token, order, key)

    assert response.status_code == 200 and response.json()["result"] == "error"


# --- HTTP checker: a real local server ------------------------------------------------------


class _Checker(BaseHTTPRequestHandler):
    answer = {"status": "used"}
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append({
            "host": self.headers["Host"], "signature": self.headers["X-Kadun-Signature"], "body": json.loads(body),
            "signed": checkers.sign(SECRET, body) == self.headers["X-Kadun-Signature"],
        })
        payload = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_checker():
    _Checker.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Checker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_local_checker_answers_when_private_addresses_are_allowed(shop, settings, local_checker):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = True
    product = make_product(shop, keys=1)
    checker_set(shop=shop, product_id=product.pk, config={"kind": "http", "url": f"http://127.0.0.1:{local_checker}/verify", "secret": SECRET})
    order, token, key = _sold(product)

    response = _verify_api(token, order, key)

    assert response.status_code == 200 and response.json()["result"] == "used"
    [call] = _Checker.seen
    assert call["signed"] and call["body"]["product_id"] == product.pk


def test_the_connection_carries_the_original_host_name(monkeypatch, settings, local_checker):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = True
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("127.0.0.1" if host == "checker.test" else host, *a, **k))

    outcome = checkers.run({"kind": "http", "url": f"http://checker.test:{local_checker}/verify", "secret": SECRET}, "KEY-1", 7)

    assert outcome.result == "used"
    assert _Checker.seen[0]["host"] == f"checker.test:{local_checker}"


def test_a_redirect_is_not_followed(settings, local_checker, monkeypatch):
    settings.KADUN_CHECKER_ALLOW_PRIVATE = True

    def redirect(self):
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    monkeypatch.setattr(_Checker, "do_POST", redirect)

    outcome = checkers.run({"kind": "http", "url": f"http://127.0.0.1:{local_checker}/v", "secret": SECRET}, "KEY-1", 1)

    assert outcome.result == "error" and outcome.raw.startswith("HTTP 302")


# --- HTTPS: SNI and the certificate are checked against the URL's host name -----------------


def _certificate(tmp_path, host: str):
    """A throwaway CA and a server certificate for ``host`` signed by it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)  # noqa: TID251 - TLS checks validity against the wall clock, not kadun's

    def build(subject, issuer, key, signer, *, ca: bool, san=None):
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kadun test CA")])
    ca = build(ca_name, ca_name, ca_key, ca_key, ca=True)
    cert = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, key, ca_key, ca=False, san=host)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "server.pem").write_bytes(
        cert.public_bytes(pem) + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "ca.pem", tmp_path / "server.pem"


@pytest.fixture
def tls_checker(tmp_path, monkeypatch, settings):
    import ssl

    settings.KADUN_CHECKER_ALLOW_PRIVATE = True
    ca, server_pem = _certificate(tmp_path, "checker.test")
    _Checker.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Checker)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(checkers, "_ssl_context", lambda: ssl.create_default_context(cafile=str(ca)))
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("127.0.0.1" if host.endswith(".test") else host, *a, **k))
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_https_checks_the_certificate_for_the_urls_host_name(tls_checker):
    outcome = checkers.run({"kind": "http", "url": f"https://checker.test:{tls_checker}/verify", "secret": SECRET}, "KEY-1", 1)

    assert outcome.result == "used"
    assert _Checker.seen[0]["host"] == f"checker.test:{tls_checker}"


def test_https_to_the_same_address_under_another_name_is_refused(tls_checker):
    outcome = checkers.run({"kind": "http", "url": f"https://other.test:{tls_checker}/verify", "secret": SECRET}, "KEY-1", 1)

    assert outcome.result == "error" and "SSL" in outcome.raw
    assert _Checker.seen == []
