"""Guest query passwords (查询密码).

They are hashed with a keyed HMAC-SHA256 (Django's ``salted_hmac``: key derived from SECRET_KEY,
which lives in the environment, never in the database) and a random per-order salt. A stolen
database alone does not allow guessing them offline, and checking one costs microseconds — unlike
PBKDF2, whose deliberate ~second of CPU per hash would make every guest checkout cost a core-second.
Online guessing is stopped by the lookup rate limits (per order number and per address).
"""
from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac

_SALT = "kadun.orders.query-password"
PREFIX = "hmac_sha256"


def _digest(salt: str, password: str) -> str:
    return salted_hmac(_SALT, f"{salt}${password}", algorithm="sha256").hexdigest()


def make(password: str) -> str:
    salt = secrets.token_hex(8)
    return f"{PREFIX}${salt}${_digest(salt, password)}"


def check(password: str, encoded: str) -> bool:
    """Constant-time; an empty or malformed ``encoded`` is checked against a throwaway digest so a
    missing order takes the same time as a wrong password."""
    parts = (encoded or "").split("$")
    if len(parts) != 3 or parts[0] != PREFIX:
        parts = [PREFIX, "0" * 16, "0" * 64]
        hmac.compare_digest(_digest(parts[1], password or ""), parts[2])
        return False
    return hmac.compare_digest(_digest(parts[1], password or ""), parts[2])
