"""Secrets for kadun: from the environment, or generated once into ``var/secrets.json``.

The embedded default must work with no set-up at all, yet never ship a shared secret in git:
the first start writes fresh random secrets to ``var/secrets.json`` (mode 0600) and every later
start reads them back. A deployment (``DATABASE_URL`` set) takes every secret from the
environment and refuses to start if one is missing: per-host generated secrets behind a shared
database would make one web process unable to read what another encrypted. A development or test
machine that points at PostgreSQL may allow generated secrets with ``KADUN_GENERATED_SECRETS=1``.
"""
from __future__ import annotations

import json
import os
import secrets
import binascii
from base64 import b64decode, b64encode, urlsafe_b64encode
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

NAMES = ("SECRET_KEY", "KADUN_CARD_KEYS", "KADUN_KEY_HASH_SECRET", "KADUN_SANDBOX_SECRET", "KADUN_EVIDENCE_SIGNING_KEY",
         "KADUN_EVIDENCE_HASH_SECRET")


def _fresh() -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "KADUN_CARD_KEYS": urlsafe_b64encode(os.urandom(32)).decode(),
        "KADUN_KEY_HASH_SECRET": secrets.token_urlsafe(32),
        "KADUN_SANDBOX_SECRET": secrets.token_urlsafe(32),
        # The evidence log's Ed25519 signing key: the 32-byte private key, standard base64.
        "KADUN_EVIDENCE_SIGNING_KEY": b64encode(os.urandom(32)).decode(),
        # The keyed hash of personal data in evidence bodies (kadun.evidence.privacy).
        "KADUN_EVIDENCE_HASH_SECRET": secrets.token_urlsafe(32),
    }


def load_secrets(var_dir: Path, *, from_environment_only: bool = False) -> dict:
    """The secrets, with ``generated`` telling whether any came from ``var/secrets.json``.

    ``from_environment_only``: every secret must be in the environment; otherwise
    ImproperlyConfigured names the missing variables (never a value)."""
    from_env = {name: os.environ[name] for name in NAMES if os.environ.get(name, "").strip()}
    if len(from_env) == len(NAMES):
        values = dict(from_env)
        values["generated"] = False
    elif from_environment_only:
        missing = ", ".join(name for name in NAMES if name not in from_env)
        raise ImproperlyConfigured(
            f"DATABASE_URL is set, so every secret must come from the environment. Missing: {missing}. "
            "See docs/deploy.md (on a development machine only, KADUN_GENERATED_SECRETS=1 allows var/secrets.json)."
        )
    else:
        path = var_dir / "secrets.json"
        if path.exists():
            stored = json.loads(path.read_text())
            added = {name: value for name, value in _fresh().items() if name not in stored}
            if added:  # a secret introduced since the file was written: generated once, kept from now on
                stored.update(added)
                _write(path, stored, replace=True)
        else:
            stored = _fresh()
            _write(path, stored)
        values = {**stored, **from_env}
        values["generated"] = True
    values["KADUN_CARD_KEYS"] = [k.strip() for k in values["KADUN_CARD_KEYS"].split(",") if k.strip()]
    check_usable(values)
    return values


def _write(path: Path, stored: dict, *, replace: bool = False) -> None:
    if not replace:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh)
        return
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh)
    os.replace(tmp, path)


# Shortest secrets accepted. SECRET_KEY as Django's own deploy check wants it (security.W009:
# 50 characters, 5 different); the others carry at least 32 random bytes' worth of text as
# generated (``secrets.token_urlsafe(32)`` is 43 characters).
MIN_LENGTH = {"SECRET_KEY": 50, "KADUN_KEY_HASH_SECRET": 32, "KADUN_SANDBOX_SECRET": 32, "KADUN_EVIDENCE_HASH_SECRET": 32}
MIN_DISTINCT = 5


def check_usable(values: dict) -> None:
    """ImproperlyConfigured, naming the variable and what is wrong (never its value), unless every
    card key is a Fernet key (and there is at least one) and every other secret is long enough."""
    from cryptography.fernet import Fernet

    keys = values["KADUN_CARD_KEYS"]
    if not keys:
        raise ImproperlyConfigured("KADUN_CARD_KEYS holds no key: give one or more Fernet keys, comma-separated (docs/deploy.md).")
    for n, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"KADUN_CARD_KEYS: key {n} of {len(keys)} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`)."
            ) from None
    try:
        seed = b64decode(str(values["KADUN_EVIDENCE_SIGNING_KEY"]).strip(), validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise ImproperlyConfigured(
            "KADUN_EVIDENCE_SIGNING_KEY is not an Ed25519 private key (32 random bytes, standard base64; make one with "
            "`python -c \"import base64, os; print(base64.b64encode(os.urandom(32)).decode())\"`; docs/evidence.md)."
        )
    for name, shortest in MIN_LENGTH.items():
        value = str(values[name]).strip()
        if len(value) < shortest or len(set(value)) < MIN_DISTINCT:
            raise ImproperlyConfigured(
                f"{name} is too short or too simple: it needs at least {shortest} characters, {MIN_DISTINCT} of them different "
                "(e.g. `python -c \"import secrets; print(secrets.token_urlsafe(50))\"`; docs/deploy.md)."
            )


def var_dir_create(path: Path) -> Path:
    """``var/`` holds the SQLite file, generated secrets and uploaded evidence: owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return path  # an operator's own choice of mode is kept
    os.chmod(path, 0o700)  # whatever the umask
    return path
