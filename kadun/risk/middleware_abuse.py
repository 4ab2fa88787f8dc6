"""The device cookie (``kd_dev``): a random id set once on any response to a browser without one
(HttpOnly, SameSite=Lax, Secure with the session cookie, two years). While a request is served,
the keyed hashes of that id and of the client IP (``core.client_ip``) are in
``kadun.risk.abuse.current_signals``, so a service that records a buyer abuse fact can link the
buyer to the device it came from. No database work here."""
from __future__ import annotations

import re
import secrets

from django.conf import settings

from kadun.core.client_ip import client_ip
from kadun.evidence import privacy
from kadun.risk.abuse import current_signals, device_hash

_VALID = re.compile(r"^[0-9a-f]{32}$")


class DeviceCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.KADUN_DEVICE_COOKIE
        device = request.COOKIES.get(name, "")
        new = not _VALID.match(device)
        if new:
            device = secrets.token_hex(16)
        ip = client_ip(request)
        token = current_signals.set((device_hash(device), privacy.ip(ip) if ip else ""))
        try:
            response = self.get_response(request)
        finally:
            current_signals.reset(token)
        if new:
            response.set_cookie(name, device, max_age=settings.KADUN_DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
