"""Real payment gateways: WeChat Pay API v3 and USDT-TRC20 through a self-hosted epusdt /
BEpusdt. Every secret comes from the environment only (docs/payments.md lists them); a PEM may be
given as its text or as a path to a file. A gateway is offered only when it is listed in
``KADUN_PAYMENT_PROVIDERS``; ``kadun.payments.checks`` refuses a listed gateway without its keys.
"""
from __future__ import annotations

import os

_SITE = os.environ.get("KADUN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def pem(name: str) -> str:
    """A PEM from the environment: its text, or the path of a file holding it."""
    value = os.environ.get(name, "").strip()
    if value and not value.startswith("-----") and os.path.isfile(value):
        with open(value, encoding="ascii") as handle:
            return handle.read()
    return value.replace("\\n", "\n")


# --- WeChat Pay API v3 (微信支付) -------------------------------------------------------------
KADUN_WECHATPAY_BASE_URL = os.environ.get("KADUN_WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com").rstrip("/")
KADUN_WECHATPAY_MCHID = os.environ.get("KADUN_WECHATPAY_MCHID", "")
KADUN_WECHATPAY_APPID = os.environ.get("KADUN_WECHATPAY_APPID", "")
KADUN_WECHATPAY_PRIVATE_KEY = pem("KADUN_WECHATPAY_PRIVATE_KEY")  # 商户API私钥 (apiclient_key.pem)
KADUN_WECHATPAY_CERT_SERIAL = os.environ.get("KADUN_WECHATPAY_CERT_SERIAL", "")  # 商户API证书序列号
KADUN_WECHATPAY_APIV3_KEY = os.environ.get("KADUN_WECHATPAY_APIV3_KEY", "")  # 32 bytes
# 微信支付平台证书 (one or more PEM certificates; each is chosen by its own serial number) ...
KADUN_WECHATPAY_PLATFORM_CERTS = pem("KADUN_WECHATPAY_PLATFORM_CERTS")
# ... and/or 微信支付公钥 with its id (PUB_KEY_ID_…), the form new merchants get.
KADUN_WECHATPAY_PUBLIC_KEY = pem("KADUN_WECHATPAY_PUBLIC_KEY")
KADUN_WECHATPAY_PUBLIC_KEY_ID = os.environ.get("KADUN_WECHATPAY_PUBLIC_KEY_ID", "")
KADUN_WECHATPAY_NOTIFY_URL = os.environ.get("KADUN_WECHATPAY_NOTIFY_URL", _SITE + "/pay/notify/wechatpay/")
KADUN_WECHATPAY_H5_NOTIFY_URL = os.environ.get("KADUN_WECHATPAY_H5_NOTIFY_URL", _SITE + "/pay/notify/wechatpay_h5/")
# 商家转账 (mch-transfer/transfer-bills): the scene id the merchant platform approved, and its report.
KADUN_WECHATPAY_TRANSFER_SCENE_ID = os.environ.get("KADUN_WECHATPAY_TRANSFER_SCENE_ID", "1005")
KADUN_WECHATPAY_TRANSFER_NOTIFY_URL = os.environ.get("KADUN_WECHATPAY_TRANSFER_NOTIFY_URL", _SITE + "/pay/payout-notify/wechatpay/")
KADUN_WECHATPAY_TIMEOUT_SECONDS = int(os.environ.get("KADUN_WECHATPAY_TIMEOUT_SECONDS", "10"))

# --- USDT-TRC20 through epusdt / BEpusdt ------------------------------------------------------
KADUN_EPUSDT_BASE_URL = os.environ.get("KADUN_EPUSDT_BASE_URL", "").rstrip("/")
KADUN_EPUSDT_TOKEN = os.environ.get("KADUN_EPUSDT_TOKEN", "")  # epusdt's api_auth_token
KADUN_EPUSDT_NOTIFY_URL = os.environ.get("KADUN_EPUSDT_NOTIFY_URL", _SITE + "/pay/notify/epusdt/")
# CNY per USDT, frozen onto each payment when it is created (the callback must pay that amount).
KADUN_EPUSDT_RATE = os.environ.get("KADUN_EPUSDT_RATE", "7.2")
KADUN_EPUSDT_TIMEOUT_SECONDS = int(os.environ.get("KADUN_EPUSDT_TIMEOUT_SECONDS", "10"))
