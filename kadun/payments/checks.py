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


GATEWAY_SETTINGS = {
    "alipay": ("KADUN_ALIPAY_APP_ID", "KADUN_ALIPAY_PRIVATE_KEY", "KADUN_ALIPAY_PUBLIC_KEY", "KADUN_ALIPAY_SELLER_ID", "KADUN_ALIPAY_GATEWAY"),
    "epay": ("KADUN_EPAY_PID", "KADUN_EPAY_KEY", "KADUN_EPAY_API_BASE"),
}


@register(Tags.security)
def gateways_configured(app_configs=None, **kwargs):
    """An enabled real gateway has every setting it verifies with: an empty Alipay public key or
    epay key must never be what a notification is checked against."""
    errors = []
    for name, needed in GATEWAY_SETTINGS.items():
        if name not in settings.KADUN_PAYMENT_PROVIDERS:
            continue
        missing = [key for key in needed if not getattr(settings, key, "")]
        if missing:
            errors.append(Error(f"Payment provider {name!r} is enabled but not configured: {', '.join(missing)} empty.",
                                hint="Set them in the environment (docs/payments-alipay-epay.md).", id="kadun.E002"))
    return errors
