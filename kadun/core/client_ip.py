"""Who the client is: the one ``client_ip(request)`` that rate limits, lockouts and logs use.

Behind reverse proxies ``REMOTE_ADDR`` is the nearest proxy, and the client's address is in
``X-Forwarded-For``, which anybody can also write. A forwarded address is believed only as far as
the chain of trusted proxies goes:

- ``REMOTE_ADDR`` must be a trusted proxy, otherwise it *is* the client and the header is ignored
  (a visitor who reaches the app directly cannot claim another address);
- the header is then read from the right (each proxy appends the address it saw), skipping
  trusted proxies; the right-most address that is not a trusted proxy is the client. Entries to
  its left were written by the client and are never read.

Configured from the environment (docs/deploy.md):

- ``KADUN_TRUSTED_PROXIES`` — addresses / CIDR networks of the proxies (``127.0.0.1,10.0.0.0/8``);
- ``KADUN_PROXY_COUNT`` — how many proxies stand in front. Alone, every peer is taken to be a
  proxy (the app must then be reachable only through them) and the client is that many hops from
  the right; with ``KADUN_TRUSTED_PROXIES`` it caps how many trusted hops are skipped.

Neither set: ``REMOTE_ADDR``, whatever the headers say.

python-ipware / django-ipware were evaluated and not used: they never check that ``REMOTE_ADDR``
is a proxy before reading the header, their ``proxy_list`` matches the trailing proxies by
position rather than as a set of trusted networks, and their default header list trusts
client-settable headers (``X-Real-IP``, ``Client-IP`` ...). The rule above is the standard
"right-most untrusted address" and needs nothing beyond ``ipaddress``.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

UNKNOWN = "0.0.0.0"  # noqa: S104 (not a bind address: the bucket of requests with no usable address)


def _parse(value: str | None):
    """An address from REMOTE_ADDR or one X-Forwarded-For entry (port and brackets allowed)."""
    text = (value or "").strip().strip('"')
    if not text or len(text) > 64:
        return None
    if text.startswith("["):  # [v6]:port
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_proxy(ip, networks) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def client_ip(request) -> str | None:
    """The client's address as a string, or None when REMOTE_ADDR is missing or malformed."""
    peer = _parse(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    networks = _networks(tuple(getattr(settings, "KADUN_TRUSTED_PROXIES", ()) or ()))
    count = int(getattr(settings, "KADUN_PROXY_COUNT", 0) or 0)
    if not networks and count <= 0:
        return str(peer)
    if networks and not _is_proxy(peer, networks):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [part for part in forwarded.split(",")][-64:] if forwarded else []
    client, proxies_passed = peer, 1
    for raw in reversed(hops):
        hop = _parse(raw)
        if hop is None:
            break  # garbage is never an address: the last good hop stands
        client = hop
        if count and proxies_passed >= count:
            break
        if networks and not _is_proxy(hop, networks):
            break
        proxies_passed += 1
    return str(client)


def client_ip_or_unknown(request) -> str:
    """For rate limits and axes, which need a string: requests without a usable address share
    one bucket rather than escaping the limit."""
    return client_ip(request) or UNKNOWN
