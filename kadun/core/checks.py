"""Deployment checks of the platform's own settings (``kadun check --deploy``)."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


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
