"""The log's Ed25519 key: signed tree heads and promises of inclusion (docs/evidence.md).

The private key is ``settings.KADUN_EVIDENCE_SIGNING_KEY`` (32 bytes, standard base64: from the
environment in production, generated into var/secrets.json for development). ``key_id`` is the
SHA-256 of the raw public key, hex. Every key that signed is published in ``SigningKey``: the
configured key registers itself the first time it signs and retires the key active before it, so
rotating is setting a new key and restarting. A retired key never signs again; what it signed
before ``retired_at`` still verifies.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.evidence import canonical
from kadun.evidence.errors import SigningKeyRetired
from kadun.evidence.models import SigningKey

ALGORITHM = "Ed25519"
_registered: set[str] = set()  # key ids this process has seen registered (and not retired)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def _private(seed_b64: str | None = None) -> Ed25519PrivateKey:
    seed = base64.b64decode((seed_b64 or settings.KADUN_EVIDENCE_SIGNING_KEY).strip(), validate=True)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def current_key_id() -> str:
    return key_id_of(public_raw(_private()))


def ensure_registered() -> SigningKey:
    """Publish the configured key (once), retiring the key that was active before it."""
    private = _private()
    raw = public_raw(private)
    kid = key_id_of(raw)
    row = SigningKey.objects.filter(key_id=kid).first()
    if row is None:
        with transaction.atomic():
            now = clock.now()
            SigningKey.objects.bulk_create([SigningKey(key_id=kid, public_key=_b64(raw), active_from=now)], ignore_conflicts=True)
            SigningKey.objects.filter(retired_at__isnull=True).exclude(key_id=kid).update(retired_at=now)
        row = SigningKey.objects.get(key_id=kid)
    if row.retired_at is not None:
        _registered.discard(kid)
        raise SigningKeyRetired()
    # remembered once the registration is surely committed (a rolled-back one is looked up again)
    transaction.on_commit(lambda: _registered.add(kid))
    return row


def sign(message: bytes) -> tuple[str, str]:
    """(key_id, signature base64) of ``message`` under the configured key."""
    private = _private()
    kid = key_id_of(public_raw(private))
    if kid not in _registered:
        ensure_registered()
    return kid, _b64(private.sign(message))


def verify_with(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify(message: bytes, key_id: str, signature_b64: str, *, signed_at: dt.datetime | None = None) -> bool:
    """Does ``signature_b64`` by published key ``key_id`` sign ``message``? With ``signed_at``
    (the time the message claims), a retired key verifies only what it signed before retiring."""
    row = SigningKey.objects.filter(key_id=key_id).first()
    if row is None:
        return False
    if signed_at is not None and row.retired_at is not None and signed_at > row.retired_at:
        return False
    return verify_with(row.public_key, message, signature_b64)


def head_message(*, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    return canonical.dumps(
        {"v": 1, "type": "tree_head", "log": settings.KADUN_EVIDENCE_LOG_ID, "tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp}
    )


def promise_message(*, entry_id: int, leaf_hash: str, integrate_by: str) -> bytes:
    return canonical.dumps(
        {"v": 1, "type": "promise", "log": settings.KADUN_EVIDENCE_LOG_ID, "entry_id": entry_id, "leaf_hash": leaf_hash, "integrate_by": integrate_by}
    )


def verify_head(head: dict) -> bool:
    """A head in its JSON form: signed by a published key that was not retired at its time."""
    try:
        message = head_message(tree_size=head["tree_size"], root_hash=head["root_hash"], timestamp=head["timestamp"])
        at = dt.datetime.fromisoformat(head["timestamp"])
    except (KeyError, TypeError, ValueError):
        return False
    return verify(message, head["key_id"], head["signature"], signed_at=at)


def verify_promise(promise: dict) -> bool:
    try:
        message = promise_message(entry_id=promise["entry_id"], leaf_hash=promise["leaf_hash"], integrate_by=promise["integrate_by"])
    except (KeyError, TypeError):
        return False
    return verify(message, promise["key_id"], promise["signature"])
