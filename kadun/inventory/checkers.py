"""验货 checkers: given a key, answer valid / used / invalid, with the raw response.

- ``none``: no checking (answers nothing).
- ``format``: the key must match the merchant's regular expression (invalid otherwise; a
  format check can never say "used").
- ``http``: POST ``{"key", "product_id", "timestamp", "nonce"}`` as JSON to the merchant's or
  issuer's URL, signed with ``X-Kadun-Signature: hex(HMAC-SHA256(secret, body))``, 5 s timeout;
  the answer must be JSON ``{"status": "valid" | "used" | "invalid"}``. Anything else is "error",
  which is evidence of nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from kadun.core import clock

RESULTS = ("valid", "used", "invalid", "error")
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class CheckResult:
    result: str
    raw: str


def _format(config: dict, secret: str, product_id: int) -> CheckResult:
    ok = re.fullmatch(config["pattern"], secret) is not None
    return CheckResult("valid" if ok else "invalid", f"pattern {'matched' if ok else 'did not match'}")


def _private(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return True
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return True
    return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A checker answers itself; a redirect could lead past the private-address check."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _http(config: dict, secret: str, product_id: int) -> CheckResult:
    url = config["url"]
    if not getattr(settings, "KADUN_CHECKER_ALLOW_PRIVATE", False) and _private(url):
        return CheckResult("error", "refused: checker URL resolves to a private or loopback address")
    body = json.dumps(
        {"key": secret, "product_id": product_id, "timestamp": int(clock.now().timestamp()), "nonce": secrets.token_hex(8)}
    ).encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Kadun-Signature": sign(config["secret"], body), "User-Agent": "kadun-checker/1"},
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:  # validated URL, no redirects
            raw = response.read(4096).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return CheckResult("error", f"{type(exc).__name__}")
    try:
        status = json.loads(raw).get("status")
    except (ValueError, AttributeError):
        status = None
    if status not in ("valid", "used", "invalid"):
        return CheckResult("error", raw[:1000])
    return CheckResult(status, raw[:1000])


CHECKERS = {"format": _format, "http": _http}


def run(config: dict, secret: str, product_id: int) -> CheckResult | None:
    """None when the product has no checker."""
    fn = CHECKERS.get((config or {}).get("kind", "none"))
    return fn(config, secret, product_id) if fn else None
