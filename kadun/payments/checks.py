"""System checks of the payment set-up. ``kadun check --deploy`` fails while the sandbox, which
marks orders paid without any money, is enabled outside DEBUG."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def sandbox_off_in_production(app_configs=None, **kwargs):
    if settings.DEBUG or "sandbox" not in settings.KADUN_PAYMENT_PROVIDERS:
        return []
    return [
        Error(
            "The sandbox payment provider is enabled: anyone can mark an order paid at /pay/sandbox/.",
            hint="Remove 'sandbox' from KADUN_PAYMENT_PROVIDERS (see docs/deploy.md).",
            id="kadun.E001",
        )
    ]
