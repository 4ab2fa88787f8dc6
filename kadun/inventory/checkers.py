"""验货 checkers: given a key, answer valid / used / invalid, with the raw response.

- ``none``: no checking (answers nothing).
- ``format``: the key must match the merchant's regular expression in full (invalid otherwise; a
  format check can never say "used"). Patterns run on RE2, whose time is linear in the key's
  length whatever the pattern, so no pattern can stall a worker (``(a+)+$`` included); RE2 has
  no back-references or look-arounds, and a pattern it cannot compile answers "error".
- ``http``: POST ``{"key", "product_id", "timestamp", "nonce"}`` as JSON to the merchant's or
  issuer's URL, signed with ``X-Kadun-Signature: hex(HMAC-SHA256(secret, body))``, 5 s to
  connect and 8 s in all; the answer must be JSON ``{"status": "valid" | "used" | "invalid"}``.
  Anything else is "error", which is evidence of nothing.

The HTTP checker is a request the platform makes on a merchant's behalf, so it must not reach
the platform's own network (SSRF): the host name is resolved once, only globally routable
addresses are accepted (IPv4 inside IPv4-mapped, 6to4 and NAT64 addresses is checked too), and
the connection goes to the vetted address itself — with the original ``Host`` header and, for
https, SNI and certificate checked against the original host name. Redirects are not followed.
``KADUN_CHECKER_ALLOW_PRIVATE`` lifts the address rule for local development and tests.

Every failure — a malformed stored URL or pattern, DNS, TLS, a timeout — is the result "error";
a check never raises.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import threading
import urllib.parse
from dataclasses import dataclass

import re2
from django.conf import settings

from kadun.core import clock

log = logging.getLogger("kadun.checkers")

RESULTS = ("valid", "used", "invalid", "error")
TIMEOUT_SECONDS = 5  # to connect, and for each read
TOTAL_SECONDS = 8  # for the whole exchange: a server dripping bytes cannot hold a worker longer
MAX_URL_LENGTH = 300
MAX_PATTERN_LENGTH = 300
_RE2_MEMORY = 8 << 20


@dataclass(frozen=True)
class CheckResult:
    result: str
    raw: str


class CheckerConfigError(ValueError):
    """A pattern or URL a checker cannot use; the message is Chinese, for the merchant."""


# --- format -------------------------------------------------------------------------------


def compile_pattern(pattern: str):
    """The pattern compiled by RE2, or CheckerConfigError."""
    if not pattern:
        raise CheckerConfigError("请填写卡密格式（正则表达式）。")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise CheckerConfigError(f"卡密格式（正则表达式）不能超过{MAX_PATTERN_LENGTH}个字符。")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MEMORY
    try:
        return re2.compile(pattern, options=options)
    except re2.error:
        raise CheckerConfigError(
            "格式校验的正则表达式无效，或用了本平台不支持的写法（反向引用如 \\1、环视如 (?=…)、(?<=…) 等）。"
        ) from None


def _format(config: dict, secret: str, product_id: int) -> CheckResult:
    try:
        compiled = compile_pattern(str(config.get("pattern", "")))
    except CheckerConfigError:
        return CheckResult("error", "pattern cannot be compiled")
    ok = compiled.fullmatch(secret) is not None
    return CheckResult("valid" if ok else "invalid", f"pattern {'matched' if ok else 'did not match'}")


# --- http: the URL --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case), IPv6 without brackets
    port: int
    path: str  # path and query, never empty

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_url(url: str) -> Target:
    """A checker URL taken apart, or CheckerConfigError: http or https, a host, an optional
    port, no user name or password, no spaces or control characters, at most 300 characters."""
    if not isinstance(url, str) or not url:
        raise CheckerConfigError("请填写验货接口地址。")
    if len(url) > MAX_URL_LENGTH:
        raise CheckerConfigError(f"验货接口地址不能超过{MAX_URL_LENGTH}个字符。")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise CheckerConfigError("验货接口地址不能包含空格或控制字符。")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise CheckerConfigError("验货接口地址格式有误。") from None
    if parts.scheme not in ("http", "https"):
        raise CheckerConfigError("验货接口地址必须以 http:// 或 https:// 开头。")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise CheckerConfigError("验货接口地址不能包含用户名或密码。")
    if not host or host.startswith(".") or ".." in host:
        raise CheckerConfigError("验货接口地址缺少主机名。")
    if port == 0:
        raise CheckerConfigError("验货接口地址的端口无效。")
    try:
        host.encode("idna")
    except UnicodeError:
        raise CheckerConfigError("验货接口地址的主机名无效。") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to the IPv4 internet, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def address_allowed(address: str) -> bool:
    """Only globally routable unicast addresses (``is_global``), after unwrapping an IPv4
    address carried inside IPv6. 100.64.0.0/10 (shared, and cloud metadata at
    100.100.100.200), 169.254.0.0/16, private ranges, loopback, 0.0.0.0 … are all refused."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            ip = inner
    return bool(
        ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback or ip.is_link_local or ip.is_private)
    )


def _private_allowed() -> bool:
    return bool(getattr(settings, "KADUN_CHECKER_ALLOW_PRIVATE", False))


def literal_address_refused(target: Target) -> bool:
    """A URL whose host is written as an address the checker may never call, or ``localhost``
    (checked at save; names are resolved and checked again at every call)."""
    if _private_allowed():
        return False
    if target.host == "localhost" or target.host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(target.host)
    except ValueError:
        return False
    return not address_allowed(target.host)


def _resolve(target: Target) -> tuple[int, str]:
    """(family, address) to connect to: the name is resolved once, and the first acceptable
    address is the one used — a second lookup (DNS rebinding) never happens."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (_private_allowed() or address_allowed(sockaddr[0])):
            return family, sockaddr[0]
    raise _Refused("refused: checker host resolves to no public address")


class _Refused(Exception):
    pass


# --- http: the exchange ---------------------------------------------------------------------


def _ssl_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs and the URL's host name."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address, whatever ``host`` says."""

    def __init__(self, target: Target, address: str, **kwargs):
        super().__init__(address, target.port, timeout=TIMEOUT_SECONDS, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS to the vetted address, with SNI and the certificate checked for the URL's host name."""

    def __init__(self, target: Target, address: str):
        super().__init__(target, address)
        self.server_hostname = target.host

    def connect(self):
        super().connect()
        self.sock = _ssl_context().wrap_socket(self.sock, server_hostname=self.server_hostname)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _exchange(conn: _PinnedHTTPConnection, target: Target, body: bytes, headers: dict, out: dict) -> None:
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        out["status"] = response.status
        out["raw"] = response.read(4096).decode(errors="replace")
    except Exception as exc:  # reported by the caller as "error"
        out["error"] = type(exc).__name__


def _http(config: dict, secret: str, product_id: int) -> CheckResult:
    try:
        target = parse_url(config.get("url"))
        signing_secret = str(config["secret"])
    except (CheckerConfigError, KeyError):
        return CheckResult("error", "refused: checker URL is not valid")
    try:
        family, address = _resolve(target)
    except _Refused as exc:
        return CheckResult("error", str(exc))
    except OSError as exc:
        return CheckResult("error", f"dns: {type(exc).__name__}")
    body = json.dumps(
        {"key": secret, "product_id": product_id, "timestamp": int(clock.now().timestamp()), "nonce": secrets.token_hex(8)}
    ).encode()
    headers = {
        "Host": target.host_header, "Content-Type": "application/json", "User-Agent": "kadun-checker/1",
        "X-Kadun-Signature": sign(signing_secret, body),
    }
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = cls(target, address)
    out: dict = {}
    worker = threading.Thread(target=_exchange, args=(conn, target, body, headers, out), daemon=True, name="kadun-checker")
    worker.start()
    worker.join(TOTAL_SECONDS)
    if worker.is_alive():
        _abort(conn)
        return CheckResult("error", "timeout")
    conn.close()
    if "error" in out:
        return CheckResult("error", out["error"])
    raw = out.get("raw", "")
    if out.get("status") != 200:
        return CheckResult("error", f"HTTP {out.get('status')}: {raw[:500]}")
    try:
        status = json.loads(raw).get("status")
    except (ValueError, AttributeError):
        status = None
    if status not in ("valid", "used", "invalid"):
        return CheckResult("error", raw[:1000])
    return CheckResult(status, raw[:1000])


def _abort(conn: http.client.HTTPConnection) -> None:
    """Unblock and close a connection another thread is still reading."""
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    conn.close()


CHECKERS = {"format": _format, "http": _http}


def run(config: dict, secret: str, product_id: int) -> CheckResult | None:
    """None when the product has no checker. Never raises: any failure is "error"."""
    config = config if isinstance(config, dict) else {}
    fn = CHECKERS.get(config.get("kind", "none"))
    if fn is None:
        return None
    limit = getattr(settings, "KADUN_CHECK_MAX_KEY_CHARS", 500)
    if len(secret) > limit:
        return CheckResult("error", f"refused: key longer than {limit} characters is not checked")
    try:
        return fn(config, secret, product_id)
    except Exception as exc:  # a check is evidence or nothing, never a 500
        log.warning("checker %s failed: %s", config.get("kind"), type(exc).__name__)
        return CheckResult("error", type(exc).__name__)
