"""E-mail from the environment: Django's SMTP backend, or the console when none is configured.

Either one URL, ``KADUN_EMAIL_URL``:

- ``smtp://user:password@host:25`` — plain SMTP (add ``?tls=1`` for STARTTLS);
- ``smtp+tls://user:password@host:587`` — STARTTLS (``submission://`` is the same);
- ``smtps://user:password@host:465`` — TLS from the first byte;

(user name and password percent-encoded; ``?timeout=10`` seconds), or Django's own variables
``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
``EMAIL_USE_SSL``, ``EMAIL_TIMEOUT``. ``DEFAULT_FROM_EMAIL`` (or the older ``KADUN_FROM_EMAIL``)
is the sender. ``KADUN_EMAIL_BACKEND`` names any backend outright. With none of them, mail is
printed to the console (development); a deployment without it is warned by ``check --deploy``.
Tests use Django's locmem backend (pytest-django sets it).
"""
from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "submission": (587, True, False), "smtps": (465, False, True)}
_TRUE = {"1", "true", "yes", "on"}


def _from_url(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ImproperlyConfigured("KADUN_EMAIL_URL must start with smtp://, smtp+tls://, submission:// or smtps:// (docs/deploy.md).")
    port, tls, ssl = _SCHEMES[parts.scheme]
    query = dict(urllib.parse.parse_qsl(parts.query))
    try:
        host, port = parts.hostname, parts.port or port
    except ValueError:
        raise ImproperlyConfigured("KADUN_EMAIL_URL: the port is not a number.") from None
    if not host:
        raise ImproperlyConfigured("KADUN_EMAIL_URL has no host.")
    return {
        "EMAIL_HOST": host, "EMAIL_PORT": port,
        "EMAIL_HOST_USER": urllib.parse.unquote(parts.username or ""), "EMAIL_HOST_PASSWORD": urllib.parse.unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls or query.get("tls", "").lower() in _TRUE, "EMAIL_USE_SSL": ssl or query.get("ssl", "").lower() in _TRUE,
        "EMAIL_TIMEOUT": int(query.get("timeout", 10)),
    }


def _from_variables(env: Mapping[str, str]) -> dict:
    tls = env.get("EMAIL_USE_TLS", "").strip().lower() in _TRUE
    ssl = env.get("EMAIL_USE_SSL", "").strip().lower() in _TRUE
    return {
        "EMAIL_HOST": env["EMAIL_HOST"].strip(), "EMAIL_PORT": int(env.get("EMAIL_PORT") or (465 if ssl else 587 if tls else 25)),
        "EMAIL_HOST_USER": env.get("EMAIL_HOST_USER", ""), "EMAIL_HOST_PASSWORD": env.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": tls, "EMAIL_USE_SSL": ssl, "EMAIL_TIMEOUT": int(env.get("EMAIL_TIMEOUT") or 10),
    }


def email_settings(env: Mapping[str, str]) -> dict:
    """Django's e-mail settings, plus ``KADUN_EMAIL_CONFIGURED`` (an outgoing server is set)."""
    values: dict = {"DEFAULT_FROM_EMAIL": env.get("DEFAULT_FROM_EMAIL") or env.get("KADUN_FROM_EMAIL") or "kadun <noreply@kadun.local>"}
    if env.get("KADUN_EMAIL_URL", "").strip():
        values.update(_from_url(env["KADUN_EMAIL_URL"].strip()), EMAIL_BACKEND=SMTP)
    elif env.get("EMAIL_HOST", "").strip():
        values.update(_from_variables(env), EMAIL_BACKEND=SMTP)
    else:
        values["EMAIL_BACKEND"] = CONSOLE
    if values.get("EMAIL_USE_TLS") and values.get("EMAIL_USE_SSL"):
        raise ImproperlyConfigured("E-mail: choose STARTTLS (EMAIL_USE_TLS) or TLS from the start (EMAIL_USE_SSL), not both.")
    values["KADUN_EMAIL_CONFIGURED"] = values["EMAIL_BACKEND"] == SMTP or bool(env.get("KADUN_EMAIL_BACKEND", "").strip())
    if env.get("KADUN_EMAIL_BACKEND", "").strip():
        values["EMAIL_BACKEND"] = env["KADUN_EMAIL_BACKEND"].strip()
    return values
