"""Deployment checks of the platform's own settings (``kadun check --deploy``)."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secrets_from_environment(app_configs=None, **kwargs):
    if not getattr(settings, "KADUN_SECRETS_GENERATED", False):
        return []
    return [
        Error(
            "Secrets were generated into var/secrets.json on this host instead of coming from the environment.",
            hint="Set SECRET_KEY, KADUN_CARD_KEYS, KADUN_KEY_HASH_SECRET and KADUN_SANDBOX_SECRET (see docs/deploy.md).",
            id="kadun.E002",
        )
    ]


@register(Tags.security, deploy=True)
def email_configured(app_configs=None, **kwargs):
    if getattr(settings, "KADUN_EMAIL_CONFIGURED", True) or not getattr(settings, "DEPLOYED", False):
        return []
    return [
        Warning(
            "No outgoing e-mail server is configured: notification e-mails are printed to the console, not sent.",
            hint="Set KADUN_EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587) or EMAIL_HOST and friends (docs/deploy.md).",
            id="kadun.W001",
        )
    ]
