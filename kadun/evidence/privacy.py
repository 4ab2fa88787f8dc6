"""Personal data in evidence bodies: only as keyed hashes, so closing an account keeps every proof.

A body is hashed into the log for years (电子商务法 §31: at least three), and anyone holding a
bundle can read it. So it never carries an IP address, a user agent, a contact or a name — only
``keyed(value, purpose)``: HMAC-SHA256 under ``KADUN_EVIDENCE_HASH_SECRET`` (never the key-hash or
Django secret), separated by purpose so an IP's hash can't be matched against a contact's. The
platform, holding the secret, can still answer "was this reveal made from 1.2.3.4?" by hashing
the claimed address; nobody else can guess it from a list of addresses.

Free text (a case message, a refund statement, a merchant's note) goes in as ``text(value)``: the
plain SHA-256 of its UTF-8 bytes, so a bundle can carry the text and anyone can re-hash it.

Erasure: when account anonymisation blanks a personal field, the row no longer holds what was
hashed. The helpers then return ``ERASED``, and ``kadun evidence-check`` takes the logged value
for that place of the body (``restore_erased``): an anonymised row still checks, and a row whose
other fields changed is still reported. At recording time an empty field is logged as ``null``.
"""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

# Not a hash (it has a colon and no hex digits): the marker of a field blanked since it was logged.
ERASED = "erased:"


def keyed(value, purpose: str) -> str:
    """HMAC-SHA256(secret, purpose ‖ 0x00 ‖ value) as hex; ``ERASED`` for an empty value."""
    if value is None or str(value) == "":
        return ERASED
    message = purpose.encode() + b"\x00" + str(value).encode("utf-8")
    return hmac.new(settings.KADUN_EVIDENCE_HASH_SECRET.encode(), message, hashlib.sha256).hexdigest()


def ip(value) -> str:
    return keyed(value, "ip")


def user_agent(value) -> str:
    return keyed(value, "user_agent")


def contact(value) -> str:
    return keyed((value or "").strip().lower(), "contact")


def text(value) -> str:
    """SHA-256 of the text (re-hashable by anyone who has it); ``ERASED`` for an empty text."""
    if value is None or value == "":
        return ERASED
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def optional_text(value) -> str | None:
    """For text that may be empty from the start (a note): None when empty, never ERASED."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest() if value else None


def at_record(body):
    """The body as logged: an empty personal field (``ERASED`` at recording) is ``null``."""
    if body == ERASED:
        return None
    if isinstance(body, dict):
        return {k: at_record(v) for k, v in body.items()}
    if isinstance(body, list):
        return [at_record(v) for v in body]
    return body


def restore_erased(current, logged):
    """The body recomputed now, with each ``ERASED`` place given the logged value there (a field
    anonymised since); where the logged body has no such place, ``null``."""
    if current == ERASED:
        return logged if logged is None or isinstance(logged, str) else None
    if isinstance(current, dict):
        logged = logged if isinstance(logged, dict) else {}
        return {k: restore_erased(v, logged.get(k)) for k, v in current.items()}
    if isinstance(current, list):
        logged = logged if isinstance(logged, list) else []
        return [restore_erased(v, logged[i] if i < len(logged) else None) for i, v in enumerate(current)]
    return current


def iso(value) -> str | None:
    """An aware datetime as the log writes times (UTC, ``isoformat``); None stays None."""
    if value is None:
        return None
    import datetime as dt

    return value.astimezone(dt.timezone.utc).isoformat()
