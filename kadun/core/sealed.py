"""Secrets at rest: MultiFernet (AES-128-CBC + HMAC-SHA256) under ``KADUN_CARD_KEYS``.

One key mechanism for everything kadun keeps encrypted (card keys, notification channels' bot
tokens and webhook secrets): the first configured key encrypts, every configured key decrypts,
and ``kadun rotate-keys`` re-encrypts all of it with the first key."""
from __future__ import annotations

import functools
import json

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.KADUN_CARD_KEYS))


def seal(values: dict) -> str:
    """A dict of secrets as one token."""
    return fernet().encrypt(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).decode()


def unseal(token: str) -> dict:
    return json.loads(fernet().decrypt(token.encode()).decode())


def reseal(token: str) -> str:
    """The same secrets under the first configured key."""
    return fernet().rotate(token.encode()).decode()
