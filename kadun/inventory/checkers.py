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
the platform's own network (SSRF); ``kadun.core.safehttp`` makes it: the host name is resolved once, only globally routable
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
import json
import logging
import secrets
import socket
import ssl
from dataclasses import dataclass

import re2
from django.conf import settings

from kadun.core import clock, safehttp

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


# --- http: the URL (the SSRF-safe client is kadun.core.safehttp, shared with the webhooks) ---


Target = safehttp.Target
address_allowed = safehttp.address_allowed
URL_LABEL = "验货接口地址"


def parse_url(url: str) -> Target:
    """A checker URL taken apart, or CheckerConfigError: http or https, a host, an optional
    port, no user name or password, no spaces or control characters, at most 300 characters."""
    try:
        return safehttp.parse_url(url, label=URL_LABEL, max_length=MAX_URL_LENGTH)
    except safehttp.UnsafeURL as exc:
        raise CheckerConfigError(str(exc)) from None


def _private_allowed() -> bool:
    return bool(getattr(settings, "KADUN_CHECKER_ALLOW_PRIVATE", False))


def literal_address_refused(target: Target) -> bool:
    """A URL whose host is written as an address the checker may never call, or ``localhost``
    (checked at save; names are resolved and checked again at every call)."""
    return safehttp.literal_address_refused(target, allow_private=_private_allowed())


# --- http: the exchange ---------------------------------------------------------------------


def _ssl_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs and the URL's host name."""
    return safehttp.ssl_context()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _http(config: dict, secret: str, product_id: int) -> CheckResult:
    try:
        target = parse_url(config.get("url"))
        signing_secret = str(config["secret"])
    except (CheckerConfigError, KeyError):
        return CheckResult("error", "refused: checker URL is not valid")
    body = json.dumps(
        {"key": secret, "product_id": product_id, "timestamp": int(clock.now().timestamp()), "nonce": secrets.token_hex(8)}
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "kadun-checker/1", "X-Kadun-Signature": sign(signing_secret, body)}
    try:
        response = safehttp.post(
            target, body, headers, allow_private=_private_allowed(), timeout=TIMEOUT_SECONDS, total=TOTAL_SECONDS, context=lambda: _ssl_context(),
        )
    except safehttp.Refused:
        return CheckResult("error", "refused: checker host resolves to no public address")
    except safehttp.ExchangeTimeout:
        return CheckResult("error", "timeout")
    except socket.gaierror as exc:
        return CheckResult("error", f"dns: {type(exc).__name__}")
    except Exception as exc:  # connection, TLS, protocol: "error", evidence of nothing
        return CheckResult("error", type(exc).__name__)
    raw = response.body.decode(errors="replace")
    if response.status != 200:
        return CheckResult("error", f"HTTP {response.status}: {raw[:500]}")
    try:
        status = json.loads(raw).get("status")
    except (ValueError, AttributeError):
        status = None
    if status not in ("valid", "used", "invalid"):
        return CheckResult("error", raw[:1000])
    return CheckResult(status, raw[:1000])


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
