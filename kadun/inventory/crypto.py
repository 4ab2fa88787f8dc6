"""Card keys at rest: MultiFernet (AES-128-CBC + HMAC-SHA256). The first configured key
encrypts; every configured key decrypts, so keys can be rotated with ``kadun rotate-keys``.
Duplicates are found by a keyed hash (HMAC-SHA256), so the database never holds a plain hash
that could be brute-forced from a list of known codes."""
from __future__ import annotations

import hashlib
import hmac
import unicodedata

from django.conf import settings

from kadun.core.sealed import _fernet, fernet  # noqa: F401  (one key mechanism for every secret at rest)


def encrypt(secret: str) -> str:
    return fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


# Zero-width and byte-order marks ride along with pasted keys and are invisible on screen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def normalize(secret: str) -> str:
    """The key as stored and delivered: invisible characters removed, whitespace trimmed."""
    return secret.translate(_INVISIBLE).strip()


def fingerprint(secret: str) -> str:
    """Keyed hash for duplicate detection. NFKC folds full-width and other look-alike forms, so
    a key pasted in full-width characters is still the same key."""
    canonical = unicodedata.normalize("NFKC", normalize(secret))
    return hmac.new(settings.KADUN_KEY_HASH_SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def mask(secret: str) -> str:
    """What the order page shows before 查看卡密: length and the last 4 characters of long keys."""
    if len(secret) >= 12:
        return "•" * 8 + secret[-4:]
    return "•" * 8
