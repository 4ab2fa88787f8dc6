"""Production settings from the environment: every secret or no start, a private var/, and a
`kadun check --deploy` that passes only when the deployment is safe (sandbox off, HTTPS on).

Each test starts a fresh interpreter: settings are read once, at start-up, from the environment."""
from __future__ import annotations

import base64
import os
import secrets
import stat
import subprocess
import sys

SECRET_VALUES = {
    "SECRET_KEY": "sk-" + secrets.token_urlsafe(50),
    "KADUN_CARD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "KADUN_KEY_HASH_SECRET": "kh-" + secrets.token_urlsafe(32),
    "KADUN_SANDBOX_SECRET": "sb-" + secrets.token_urlsafe(32),
    "KADUN_EVIDENCE_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
    "KADUN_EVIDENCE_HASH_SECRET": "eh-" + secrets.token_urlsafe(32),
}
# Nothing connects to it: settings and `check` never open the database.
PG_URL = "postgres://kadun@127.0.0.1:5432/kadun"


def clean_env(tmp_path, **extra) -> dict:
    """The caller's environment without any kadun or Django setting, plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("KADUN_", "EMAIL_")) and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEFAULT_FROM_EMAIL", *SECRET_VALUES)
    }
    env.update(DJANGO_SETTINGS_MODULE="kadun.settings", KADUN_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def production_env(tmp_path, **extra) -> dict:
    """What docs/deploy.md tells an operator to set."""
    values = dict(
        DATABASE_URL=PG_URL,
        **SECRET_VALUES,
        KADUN_SITE_URL="https://ka.example.com",
        KADUN_ALLOWED_HOSTS="ka.example.com",
        KADUN_CSRF_TRUSTED_ORIGINS="https://ka.example.com",
        KADUN_HTTPS="1",
        KADUN_HSTS_PRELOAD="1",
        KADUN_TRUSTED_PROXIES="127.0.0.1",
        KADUN_PROXY_SSL_HEADER="X-Forwarded-Proto",
        KADUN_EMAIL_URL="smtp+tls://kadun%40example.com:smtp-password@smtp.example.com:587",
        DEFAULT_FROM_EMAIL="卡盾 <noreply@ka.example.com>",
    )
    return clean_env(tmp_path, **{**values, **extra})


def start(env: dict) -> subprocess.CompletedProcess:
    code = "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def kadun(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kadun.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_partial_secrets_under_database_url_refuse_to_start_naming_only_the_missing(tmp_path):
    env = clean_env(tmp_path, DATABASE_URL=PG_URL, SECRET_KEY=SECRET_VALUES["SECRET_KEY"], KADUN_CARD_KEYS=SECRET_VALUES["KADUN_CARD_KEYS"])
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "KADUN_KEY_HASH_SECRET" in result.stderr and "KADUN_SANDBOX_SECRET" in result.stderr
    # The ones that are set are not called missing, and no value is ever printed.
    assert SECRET_VALUES["SECRET_KEY"] not in result.stderr + result.stdout
    assert SECRET_VALUES["KADUN_CARD_KEYS"] not in result.stderr + result.stdout
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_no_secrets_at_all_under_database_url_refuse_to_start(tmp_path):
    result = start(clean_env(tmp_path, DATABASE_URL=PG_URL))
    assert result.returncode != 0
    assert all(name in result.stderr for name in SECRET_VALUES)
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_all_secrets_under_database_url_start(tmp_path):
    result = start(clean_env(tmp_path, DATABASE_URL=PG_URL, **SECRET_VALUES))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_embedded_default_still_generates_its_secrets(tmp_path):
    result = start(clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "var" / "secrets.json").stat().st_mode) == 0o600


def test_var_dir_is_created_private(tmp_path):
    result = start(clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = kadun(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_no_mail_server_is_configured(tmp_path):
    env = production_env(tmp_path)
    del env["KADUN_EMAIL_URL"]
    result = kadun(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "kadun.W001" in result.stderr


def test_check_deploy_fails_with_the_sandbox_on(tmp_path):
    result = kadun(production_env(tmp_path, KADUN_PAYMENT_PROVIDERS="sandbox,wallet"), "check", "--deploy")
    assert result.returncode != 0
    assert "kadun.E001" in result.stderr
    assert "KADUN_PAYMENT_PROVIDERS" in result.stderr


def test_check_deploy_fails_without_https_settings(tmp_path):
    env = production_env(tmp_path)
    del env["KADUN_HTTPS"]
    result = kadun(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # SSL redirect


def test_https_settings_come_from_the_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = production_env(tmp_path)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True"]
    default = subprocess.run([sys.executable, "-c", code], env=clean_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert default.stdout.split() == ["False", "0", "False", "None", "False", "False"]
