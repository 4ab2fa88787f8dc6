"""Settings about the network in front of kadun: trusted reverse proxies, the HTTPS header."""
from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured


def trusted_proxies(value: str) -> list[str]:
    """``KADUN_TRUSTED_PROXIES``: comma-separated addresses or CIDR networks of the reverse
    proxies whose X-Forwarded-For is believed. Returned as normalised network strings."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"KADUN_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network") from None
    return networks


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``KADUN_PROXY_SSL_HEADER=X-Forwarded-Proto`` → Django's SECURE_PROXY_SSL_HEADER."""
    name = value.strip()
    if not name:
        return None
    if not all(c.isalnum() or c == "-" for c in name):
        raise ImproperlyConfigured(f"KADUN_PROXY_SSL_HEADER: {name!r} is not a header name")
    return "HTTP_" + name.upper().replace("-", "_"), "https"
