"""Alipay (open platform) and 易支付 (epay) gateways: everything from the environment.

Secrets (the app private key, the epay key) are never stored in the database. A provider is
offered only when it is listed in ``KADUN_PAYMENT_PROVIDERS``; one listed without the settings
it verifies with fails ``kadun check`` (kadun.E010, ``kadun/payments/checks.py``)."""
from __future__ import annotations

import os

_site = os.environ.get("KADUN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def _pem(name: str) -> str:
    """A PEM from the environment; ``\\n`` escapes (one-line env files) become newlines."""
    return os.environ.get(name, "").replace("\\n", "\n").strip()


# --- Alipay open platform ---------------------------------------------------------------------
KADUN_ALIPAY_APP_ID = os.environ.get("KADUN_ALIPAY_APP_ID", "")
KADUN_ALIPAY_PRIVATE_KEY = _pem("KADUN_ALIPAY_PRIVATE_KEY")  # the app's private key (PKCS#8 or PKCS#1 PEM)
KADUN_ALIPAY_PUBLIC_KEY = _pem("KADUN_ALIPAY_PUBLIC_KEY")  # Alipay's public key (支付宝公钥), PEM
KADUN_ALIPAY_SELLER_ID = os.environ.get("KADUN_ALIPAY_SELLER_ID", "")  # the merchant's PID, 2088…
KADUN_ALIPAY_GATEWAY = os.environ.get("KADUN_ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
KADUN_ALIPAY_NOTIFY_URL = os.environ.get("KADUN_ALIPAY_NOTIFY_URL", _site + "/pay/notify/alipay/")
KADUN_ALIPAY_TIMEOUT_SECONDS = int(os.environ.get("KADUN_ALIPAY_TIMEOUT_SECONDS", "10"))

# --- 易支付 (epay protocol) ------------------------------------------------------------------
KADUN_EPAY_PID = os.environ.get("KADUN_EPAY_PID", "")
KADUN_EPAY_KEY = os.environ.get("KADUN_EPAY_KEY", "")
KADUN_EPAY_API_BASE = os.environ.get("KADUN_EPAY_API_BASE", "").rstrip("/")  # https://pay.example.com
KADUN_EPAY_TYPE = os.environ.get("KADUN_EPAY_TYPE", "alipay")  # alipay / wxpay / qqpay
KADUN_EPAY_NOTIFY_URL = os.environ.get("KADUN_EPAY_NOTIFY_URL", _site + "/pay/notify/epay/")
KADUN_EPAY_REFUND = os.environ.get("KADUN_EPAY_REFUND", "1").strip().lower() in {"1", "true", "yes", "on"}
KADUN_EPAY_TIMEOUT_SECONDS = int(os.environ.get("KADUN_EPAY_TIMEOUT_SECONDS", "10"))
