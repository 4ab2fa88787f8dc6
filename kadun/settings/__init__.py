"""kadun settings: everything comes from the environment.

Embedded default (no environment at all): SQLite at ``var/kadun.sqlite3`` in WAL mode with
IMMEDIATE transactions, and secrets generated once into ``var/secrets.json`` (mode 0600).
Production sets ``DATABASE_URL`` and the ``KADUN_*`` secrets explicitly (see docs/deploy.md).
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from kadun.settings.email import email_settings
from kadun.settings.network import proxy_ssl_header, trusted_proxies
from kadun.settings.secrets import load_secrets, var_dir_create

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = var_dir_create(Path(os.environ.get("KADUN_VAR_DIR", Path.cwd() / "var")).resolve())


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("KADUN_DEBUG", False)
# A deployment: PostgreSQL (or any DATABASE_URL) and no debug. It takes every secret from the
# environment and has the sandbox payment provider off unless told otherwise.
DEPLOYED = bool(os.environ.get("DATABASE_URL")) and not DEBUG
_secrets = load_secrets(
    VAR_DIR, from_environment_only=bool(os.environ.get("DATABASE_URL")) and not env_bool("KADUN_GENERATED_SECRETS", False)
)
KADUN_SECRETS_GENERATED = _secrets["generated"]

SECRET_KEY = _secrets["SECRET_KEY"]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("KADUN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("KADUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# Public base URL, used in links we send (guest order link e-mails) and the sandbox notify URL.
SITE_URL = os.environ.get("KADUN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "captcha",
    "ninja",  # /api/docs serves Swagger UI from ninja's bundled static files, not a CDN
    "kadun.core",
    "kadun.accounts",
    "kadun.ledger",
    "kadun.deadlines",
    "kadun.notifications",
    "kadun.merchants",
    "kadun.catalog",
    "kadun.inventory",
    "kadun.orders",
    "kadun.payments",
    "kadun.aftersales",
    "kadun.cases",
    "kadun.risk",
    "kadun.evidence",
    "kadun.reputation",
    "kadun.insurance",
    "kadun.report",
    "kadun.web",
    "kadun.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kadun.core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kadun.risk.middleware_abuse.DeviceCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kadun.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kadun.urls"
WSGI_APPLICATION = "kadun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kadun.web.context.site",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=env_int("KADUN_DB_CONN_MAX_AGE", 60), conn_health_checks=True)
        if db["ENGINE"].endswith("postgresql"):
            db.setdefault("TEST", {})["NAME"] = os.environ.get("KADUN_TEST_DB_NAME", "test_kadun")
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "kadun.sqlite3"),
        "OPTIONS": {
            # One writer at a time, taken at BEGIN: no "database is locked" upgrade deadlocks.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        "TEST": {"NAME": str(VAR_DIR / "test-kadun.sqlite3")},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

_redis = os.environ.get("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}
        if _redis
        # Shared by every process on the same database, so rate limits hold across web workers.
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kadun_cache"}
    )
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

AXES_FAILURE_LIMIT = env_int("KADUN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "query_password"]
# Who the client is: kadun.core.client_ip, which believes X-Forwarded-For only from trusted proxies.
AXES_CLIENT_IP_CALLABLE = "kadun.core.client_ip.client_ip_or_unknown"
KADUN_PROXY_COUNT = env_int("KADUN_PROXY_COUNT", 0)
KADUN_TRUSTED_PROXIES = trusted_proxies(os.environ.get("KADUN_TRUSTED_PROXIES", ""))

RATELIMIT_VIEW = "kadun.web.views.ratelimited"
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "kadun.core.client_ip.client_ip_or_unknown"
# django-simple-captcha: images drawn here with its bundled font (no download, no third party).
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (120, 44)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# HTTPS: KADUN_HTTPS=1 turns on secure cookies, the redirect to https and HSTS (one year,
# subdomains included); each can be set on its own (docs/deploy.md).
HTTPS = env_bool("KADUN_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("KADUN_SECURE_COOKIES", HTTPS)
SECURE_SSL_REDIRECT = env_bool("KADUN_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("KADUN_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KADUN_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("KADUN_HSTS_PRELOAD", False)
# The header the TLS proxy sets to "https" (e.g. X-Forwarded-Proto); the proxy must overwrite it.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("KADUN_PROXY_SSL_HEADER", ""))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline,
# never eval. Styles allow inline (templates use style="" attributes and htmx adds its indicator
# style); images are ours, captchas included, plus data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"  # display; storage is UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # `kadun collectstatic` target; WhiteNoise also serves from the apps
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail: KADUN_EMAIL_URL, or EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD /
# EMAIL_USE_TLS, and DEFAULT_FROM_EMAIL (kadun/settings/email.py); the console without them.
globals().update(email_settings(os.environ))

# --- kadun's own settings -------------------------------------------------------------
# Card keys are encrypted with MultiFernet: the first key encrypts, all keys decrypt.
KADUN_CARD_KEYS = _secrets["KADUN_CARD_KEYS"]
# Keyed hash for platform-wide duplicate detection of card keys.
KADUN_KEY_HASH_SECRET = _secrets["KADUN_KEY_HASH_SECRET"]
# Which payment providers exist, in the order checkout offers them. The sandbox marks orders
# paid without any money: on in the embedded default and under DEBUG, off in a deployment unless
# listed here (and then `kadun check --deploy` fails: kadun.E001).
KADUN_PAYMENT_PROVIDERS = [
    p.strip() for p in os.environ.get("KADUN_PAYMENT_PROVIDERS", "wallet" if DEPLOYED else "sandbox,wallet").split(",") if p.strip()
]
# Shared secret between kadun and its built-in sandbox gateway.
KADUN_SANDBOX_SECRET = _secrets["KADUN_SANDBOX_SECRET"]
# The evidence log's Ed25519 signing key (base64 of the 32-byte private key); retired keys'
# public halves stay published in evidence.SigningKey (docs/evidence.md).
KADUN_EVIDENCE_SIGNING_KEY = _secrets["KADUN_EVIDENCE_SIGNING_KEY"]
# Keyed hash (HMAC-SHA256) of personal data in evidence bodies (IP, user agent, contact): never change it.
KADUN_EVIDENCE_HASH_SECRET = _secrets["KADUN_EVIDENCE_HASH_SECRET"]
KADUN_SANDBOX_APP_ID = os.environ.get("KADUN_SANDBOX_APP_ID", "kadun-sandbox")
KADUN_SANDBOX_NOTIFY_URL = os.environ.get("KADUN_SANDBOX_NOTIFY_URL", SITE_URL + "/pay/notify/sandbox/")
KADUN_SANDBOX_PAYOUT_NOTIFY_URL = os.environ.get("KADUN_SANDBOX_PAYOUT_NOTIFY_URL", SITE_URL + "/pay/payout-notify/sandbox/")
KADUN_NOTIFY_MAX_SKEW_SECONDS = env_int("KADUN_NOTIFY_MAX_SKEW_SECONDS", 300)

KADUN_PLATFORM_FEE_BPS = env_int("KADUN_PLATFORM_FEE_BPS", 200)  # 2%
KADUN_SETTLEMENT_DELAY_HOURS = env_int("KADUN_SETTLEMENT_DELAY_HOURS", 72)
KADUN_PAYMENT_TIMEOUT_MINUTES = env_int("KADUN_PAYMENT_TIMEOUT_MINUTES", 15)
KADUN_DEFAULT_WINDOW_AUTO_HOURS = 24
KADUN_DEFAULT_WINDOW_MANUAL_HOURS = 72
KADUN_LOOKUP_RATE = os.environ.get("KADUN_LOOKUP_RATE", "5/15m")  # failures per order number, then a captcha
KADUN_LOOKUP_IP_RATE = os.environ.get("KADUN_LOOKUP_IP_RATE", "20/h")  # attempts per client address, then 429
KADUN_SWEEP_INTERVAL_SECONDS = float(os.environ.get("KADUN_SWEEP_INTERVAL_SECONDS", "1.0"))
KADUN_SWEEP_BATCH = env_int("KADUN_SWEEP_BATCH", 500)
KADUN_RUN_SWEEPER_IN_PROCESS = env_bool("KADUN_RUN_SWEEPER_IN_PROCESS", False)
KADUN_MAX_UPLOAD_IMAGE_BYTES = 5 * 1024 * 1024
# 验货 HTTP checkers may not call private / loopback addresses (SSRF) unless this is set.
KADUN_CHECKER_ALLOW_PRIVATE = env_bool("KADUN_CHECKER_ALLOW_PRIVATE", False)
# Notifications (kadun/notifications): the channels' API hosts (a relay may stand in for one),
# and what a user's webhook URL / Bark server may be. Private addresses and plain http only for
# development and tests.
KADUN_TELEGRAM_API_BASE = os.environ.get("KADUN_TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")
KADUN_WECOM_API_BASE = os.environ.get("KADUN_WECOM_API_BASE", "https://qyapi.weixin.qq.com").rstrip("/")
KADUN_BARK_API_BASE = os.environ.get("KADUN_BARK_API_BASE", "https://api.day.app").rstrip("/")
KADUN_NOTIFY_ALLOW_PRIVATE = env_bool("KADUN_NOTIFY_ALLOW_PRIVATE", False)
KADUN_NOTIFY_ALLOW_HTTP = env_bool("KADUN_NOTIFY_ALLOW_HTTP", DEBUG)
KADUN_NOTIFY_CHANNELS_MAX = env_int("KADUN_NOTIFY_CHANNELS_MAX", 10)
KADUN_NOTIFY_TESTS_PER_HOUR = env_int("KADUN_NOTIFY_TESTS_PER_HOUR", 10)
# 验货: checks per order per hour (page and API share it); keys longer than this are not checked.
KADUN_VERIFY_PER_ORDER_PER_HOUR = env_int("KADUN_VERIFY_PER_ORDER_PER_HOUR", 10)
KADUN_CHECK_MAX_KEY_CHARS = env_int("KADUN_CHECK_MAX_KEY_CHARS", 500)
# Key imports from the merchant's page and API, per shop per hour (the CLI is not limited).
KADUN_IMPORTS_PER_SHOP_PER_HOUR = env_int("KADUN_IMPORTS_PER_SHOP_PER_HOUR", 30)
# Lines colliding with other shops' keys within the window that open a risk alert and pause the
# shop's imports until risk staff lift it.
KADUN_IMPORT_COLLISION_BURST = env_int("KADUN_IMPORT_COLLISION_BURST", 1)
KADUN_IMPORT_COLLISION_WINDOW_HOURS = env_int("KADUN_IMPORT_COLLISION_WINDOW_HOURS", 24)
# Refund requests: per order per hour, per buyer per hour, per order in all, evidence bytes per order.
KADUN_REFUND_REQUESTS_PER_ORDER_PER_HOUR = env_int("KADUN_REFUND_REQUESTS_PER_ORDER_PER_HOUR", 10)
KADUN_REFUND_REQUESTS_PER_BUYER_PER_HOUR = env_int("KADUN_REFUND_REQUESTS_PER_BUYER_PER_HOUR", 30)
KADUN_REFUND_REQUESTS_MAX_PER_ORDER = env_int("KADUN_REFUND_REQUESTS_MAX_PER_ORDER", 10)
KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = env_int("KADUN_EVIDENCE_MAX_BYTES_PER_ORDER", 30 * 1024 * 1024)
# After-sales cases: stage deadlines, default outcomes and SLA targets (docs/cases.md).
from kadun.settings.cases import *  # noqa: E402,F401,F403
# The evidence log (docs/evidence.md) and merchant accountability (docs/merchants.md).
from kadun.settings.evidence import *  # noqa: E402,F401,F403
from kadun.settings.accountability import *  # noqa: E402,F401,F403
# 售后保险 (docs/insurance.md).
from kadun.settings.insurance import *  # noqa: E402,F401,F403
from kadun.settings.abuse import *  # noqa: E402,F401,F403
from kadun.settings.record import *  # noqa: E402,F401,F403
# 下单前提示 (checkout warnings) and the public transparency report (docs/refunds.md, docs/report.md).
from kadun.settings.warnings import *  # noqa: E402,F401,F403
from kadun.settings.reviews import *  # noqa: E402,F401,F403
# Real payment gateways (docs/payments.md): WeChat Pay v3, USDT through epusdt.
from kadun.settings.gateways import *  # noqa: E402,F401,F403
from kadun.settings.alerts import *  # noqa: E402,F401,F403  (异常订单预警, docs/risk.md)
# 脱离平台交易: an author flagged this many times within this many days (this flag included) is
# a repeated lure — a recorded violation (a breach for a merchant) and a risk alert.
KADUN_LURE_REPEAT_COUNT = env_int("KADUN_LURE_REPEAT_COUNT", 2)
KADUN_LURE_REPEAT_DAYS = env_int("KADUN_LURE_REPEAT_DAYS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # SafeFormatter escapes CR, LF and every other control character in the message: a value a
    # client wrote (a login username, a path, an out_trade_no) can never start a forged line.
    "formatters": {"plain": {"()": "kadun.core.logsafe.SafeFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KADUN_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers for these (DEFAULT_LOGGING: a plain console under DEBUG, mail to
        # ADMINS) are replaced by the root's: every line goes through the one safe formatter.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # Request logs never carry bodies; card keys and passwords are only ever in bodies.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
# Real gateways: Alipay open platform and 易支付 (docs/payments.md).
from kadun.settings.gateways_alipay import *  # noqa: E402,F401,F403
