"""POST to a URL someone else chose, without reaching the platform's own network (SSRF).

Used by the 验货 HTTP checkers (``inventory.checkers``) and the merchants' notification
webhooks (``notifications.senders``):

- ``parse_url``: http or https, a host, an optional port, no user name or password, no spaces
  or control characters, at most ``max_length`` characters; the Chinese refusals name the field
  (``label``, e.g. 验货接口地址).
- ``address_allowed``: only globally routable unicast addresses, after unwrapping IPv4 carried
  inside IPv4-mapped, 6to4 and NAT64 addresses; ``literal_address_refused`` refuses at save a
  URL whose host is such an address written out, or ``localhost``.
- ``post``: the host name is resolved once and the connection goes to the first acceptable
  address itself (``http.client`` to the IP, the original ``Host`` header, for https SNI and the
  certificate checked against the original host name), so a second DNS answer (rebinding) is
  never used. Redirects are not followed: a 3xx is returned as it is. ``timeout`` seconds to
  connect and for each read, ``total`` for the whole exchange, at most ``max_bytes`` of the
  answer read.

``allow_private`` lifts the address rule (development, tests, or a host the operator configured).
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass


class UnsafeURL(ValueError):
    """A URL that cannot be called; the message is Chinese, for the person who wrote it."""


class Refused(Exception):
    """The host resolves to no address that may be called."""


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

    @property
    def origin(self) -> str:
        """scheme://host[:port], for showing where a URL goes without its path or query."""
        return f"{self.scheme}://{self.host_header}"


def parse_url(url, *, label: str = "地址", max_length: int = 300) -> Target:
    """The URL taken apart, or UnsafeURL with a Chinese message naming ``label``."""
    if not isinstance(url, str) or not url:
        raise UnsafeURL(f"请填写{label}。")
    if len(url) > max_length:
        raise UnsafeURL(f"{label}不能超过{max_length}个字符。")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UnsafeURL(f"{label}不能包含空格或控制字符。")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise UnsafeURL(f"{label}格式有误。") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"{label}必须以 http:// 或 https:// 开头。")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL(f"{label}不能包含用户名或密码。")
    if not host or host.startswith(".") or ".." in host:
        raise UnsafeURL(f"{label}缺少主机名。")
    if port == 0:
        raise UnsafeURL(f"{label}的端口无效。")
    try:
        host.encode("idna")
    except UnicodeError:
        raise UnsafeURL(f"{label}的主机名无效。") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to the IPv4 internet, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


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


def literal_address_refused(target: Target, *, allow_private: bool = False) -> bool:
    """A URL whose host is written as an address that may never be called, or ``localhost``
    (checked at save; names are resolved and checked again at every call)."""
    if allow_private:
        return False
    if target.host == "localhost" or target.host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(target.host)
    except ValueError:
        return False
    return not address_allowed(target.host)


def resolve(target: Target, *, allow_private: bool = False) -> tuple[int, str]:
    """(family, address) to connect to: the name is resolved once, and the first acceptable
    address is the one used — a second lookup (DNS rebinding) never happens."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (allow_private or address_allowed(sockaddr[0])):
            return family, sockaddr[0]
    raise Refused("refused: host resolves to no public address")


def ssl_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs and the URL's host name."""
    return ssl.create_default_context()


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address, whatever ``host`` says."""

    def __init__(self, target: Target, address: str, *, timeout: float):
        super().__init__(address, target.port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """TLS to the vetted address, with SNI and the certificate checked for the URL's host name."""

    def __init__(self, target: Target, address: str, *, timeout: float, context: ssl.SSLContext):
        super().__init__(target, address, timeout=timeout)
        self.server_hostname = target.host
        self.context = context

    def connect(self):
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.server_hostname)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class ExchangeTimeout(TimeoutError):
    pass


def _exchange(conn: PinnedHTTPConnection, target: Target, body: bytes, headers: dict, max_bytes: int, out: dict) -> None:
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        out["response"] = Response(response.status, response.read(max_bytes))
    except Exception as exc:  # re-raised by post() in the caller's thread
        out["error"] = exc


def _abort(conn: http.client.HTTPConnection) -> None:
    """Unblock and close a connection another thread is still reading."""
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    conn.close()


def post(
    target: Target, body: bytes, headers: dict, *, allow_private: bool = False, timeout: float = 5, total: float = 8,
    max_bytes: int = 4096, context: Callable[[], ssl.SSLContext] = ssl_context,
) -> Response:
    """POST ``body`` to the target's vetted address. Raises Refused (no acceptable address),
    OSError (DNS, connection, TLS), ExchangeTimeout (``total`` exceeded) or http.client's errors;
    a 3xx is returned, never followed."""
    _family, address = resolve(target, allow_private=allow_private)
    headers = {"Host": target.host_header, **headers}
    if target.scheme == "https":
        conn: PinnedHTTPConnection = PinnedHTTPSConnection(target, address, timeout=timeout, context=context())
    else:
        conn = PinnedHTTPConnection(target, address, timeout=timeout)
    out: dict = {}
    worker = threading.Thread(target=_exchange, args=(conn, target, body, headers, max_bytes, out), daemon=True, name="kadun-safehttp")
    worker.start()
    worker.join(total)
    if worker.is_alive():
        _abort(conn)
        raise ExchangeTimeout("timeout")
    conn.close()
    if "error" in out:
        raise out["error"]
    return out["response"]
