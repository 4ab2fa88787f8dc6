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


_GATEWAY_KEYS = {
    "alipay": ("KADUN_ALIPAY_APP_ID", "KADUN_ALIPAY_PRIVATE_KEY", "KADUN_ALIPAY_PUBLIC_KEY", "KADUN_ALIPAY_SELLER_ID", "KADUN_ALIPAY_GATEWAY"),
    "epay": ("KADUN_EPAY_PID", "KADUN_EPAY_KEY", "KADUN_EPAY_API_BASE"),
    "wechatpay": ("KADUN_WECHATPAY_MCHID", "KADUN_WECHATPAY_APPID", "KADUN_WECHATPAY_PRIVATE_KEY",
                  "KADUN_WECHATPAY_CERT_SERIAL", "KADUN_WECHATPAY_APIV3_KEY"),
    "epusdt": ("KADUN_EPUSDT_BASE_URL", "KADUN_EPUSDT_TOKEN", "KADUN_EPUSDT_RATE"),
}
_GATEWAY_KEYS["wechatpay_h5"] = _GATEWAY_KEYS["wechatpay"]


@register(Tags.security)
def gateways_configured(app_configs=None, **kwargs):
    """A gateway listed in KADUN_PAYMENT_PROVIDERS has every setting it verifies with
    (docs/payments.md): an empty Alipay public key or epay key must never be what a notification is
    checked against. WeChat also needs a platform certificate or the 微信支付公钥 with its id, and a
    32-byte APIv3 key."""
    errors = []
    for name in settings.KADUN_PAYMENT_PROVIDERS:
        missing = [key for key in _GATEWAY_KEYS.get(name, ()) if not getattr(settings, key, "")]
        if name.startswith("wechatpay"):
            if not (settings.KADUN_WECHATPAY_PLATFORM_CERTS or (settings.KADUN_WECHATPAY_PUBLIC_KEY and settings.KADUN_WECHATPAY_PUBLIC_KEY_ID)):
                missing.append("KADUN_WECHATPAY_PLATFORM_CERTS or KADUN_WECHATPAY_PUBLIC_KEY + KADUN_WECHATPAY_PUBLIC_KEY_ID")
            if settings.KADUN_WECHATPAY_APIV3_KEY and len(settings.KADUN_WECHATPAY_APIV3_KEY.encode()) != 32:
                missing.append("KADUN_WECHATPAY_APIV3_KEY (32 bytes)")
        if missing:
            errors.append(Error(f"Payment provider {name!r} is enabled without: {', '.join(missing)}.",
                                hint="Set them in the environment (docs/payments.md).", id="kadun.E010"))
    return errors
