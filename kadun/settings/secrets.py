"""Secrets for kadun: from the environment, or generated once into ``var/secrets.json``.

The embedded default must work with no set-up at all, yet never ship a shared secret in git:
the first start writes fresh random secrets to ``var/secrets.json`` (mode 0600) and every later
start reads them back. In production every value comes from the environment.
"""
from __future__ import annotations

import json
import os
import secrets
from base64 import urlsafe_b64encode
from pathlib import Path

NAMES = ("SECRET_KEY", "KADUN_CARD_KEYS", "KADUN_KEY_HASH_SECRET", "KADUN_SANDBOX_SECRET")


def _fresh() -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "KADUN_CARD_KEYS": urlsafe_b64encode(os.urandom(32)).decode(),
        "KADUN_KEY_HASH_SECRET": secrets.token_urlsafe(32),
        "KADUN_SANDBOX_SECRET": secrets.token_urlsafe(32),
    }


def load_secrets(var_dir: Path) -> dict:
    from_env = {name: os.environ[name] for name in NAMES if os.environ.get(name)}
    if len(from_env) == len(NAMES):
        values = from_env
    else:
        path = var_dir / "secrets.json"
        if path.exists():
            stored = json.loads(path.read_text())
        else:
            var_dir.mkdir(parents=True, exist_ok=True)
            stored = _fresh()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(stored, fh)
        values = {**stored, **from_env}
    values["KADUN_CARD_KEYS"] = [k.strip() for k in values["KADUN_CARD_KEYS"].split(",") if k.strip()]
    return values
