"""A stand-in for the log's tree in tests of bundles, the verifier and the dossier: entries are
written with ``evidence.services.record_fact``, integrated into an ``InMemoryTree`` in id order
(this kit plays the sequencer), and heads and promises are signed with a test Ed25519 key —
the formats of docs/evidence.md. ``KitLog`` has the methods of ``tree_calls.TreeLog``; the
``kit`` fixture (conftest.py) installs one with ``tree_calls.use``."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction

from kadun.core import clock
from kadun.evidence import canonical, merkle, services
from kadun.evidence.models import Entry
from kadun.evidence.offline.verify import head_message, promise_message
from kadun.evidence.registry import Fact

LOG_ID = "kadun"


class KitKey:
    def __init__(self, private: Ed25519PrivateKey | None = None):
        self.private = private or Ed25519PrivateKey.generate()
        self.raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = hashlib.sha256(self.raw).hexdigest()

    def sign(self, message: bytes) -> tuple[str, str]:
        return self.key_id, base64.b64encode(self.private.sign(message)).decode()

    def public(self) -> dict:
        return {"key_id": self.key_id, "algorithm": "Ed25519", "public_key": base64.b64encode(self.raw).decode(),
                "active_from": "2026-01-01T00:00:00+00:00", "retired_at": None}


class KitLog:
    def __init__(self, key: KitKey | None = None, *, log_id: str = LOG_ID):
        self.key = key or KitKey()
        self._log_id = log_id
        self.tree = merkle.InMemoryTree()
        self.head: dict | None = None
        self.heads: dict[int, dict] = {}

    # the sequencer and the signer ------------------------------------------------------------

    def integrate(self) -> int:
        """Give unsequenced entries their leaf index in id order, as evtree's sequencer will."""
        n = 0
        for entry in Entry.objects.filter(leaf_index__isnull=True).order_by("id"):
            data = canonical.dumps(entry.leaf_document())
            index = self.tree.append(data)
            Entry.objects.filter(pk=entry.pk).update(leaf_index=index, leaf_hash=self.tree.leaves[index].hex(), integrated_at=clock.now())
            n += 1
        return n

    def sign_head(self) -> dict:
        size = len(self.tree.leaves)
        head = {"tree_size": size, "root_hash": self.tree.root(size).hex(), "timestamp": clock.now().isoformat()}
        head["key_id"], head["signature"] = self.key.sign(head_message(self._log_id, head))
        self.head = self.heads[size] = head
        return head

    def settle(self) -> dict:
        self.integrate()
        return self.sign_head()

    # what tree_calls.TreeLog answers ---------------------------------------------------------

    def log_id(self) -> str:
        return self._log_id

    def entries_of(self, subject_type: str, subject_id: int):
        return Entry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("id")

    def latest_head(self):
        return self.head

    def inclusion_proof(self, entry, tree_size: int):
        if entry.leaf_index is None or entry.leaf_index >= tree_size:
            return None
        return {"leaf_index": entry.leaf_index, "tree_size": tree_size, "path": [p.hex() for p in self.tree.inclusion(entry.leaf_index, tree_size)]}

    def consistency_proof(self, first: int, second: int) -> dict:
        return {"first": first, "second": second, "path": [p.hex() for p in self.tree.consistency(first, second)]}

    def promise_of(self, entry) -> dict:
        leaf = merkle.leaf_hash(canonical.dumps(entry.leaf_document())).hex()
        promise = {"entry_id": entry.pk, "leaf_hash": leaf, "integrate_by": (entry.created_at + dt.timedelta(seconds=60)).isoformat()}
        promise["key_id"], promise["signature"] = self.key.sign(promise_message(self._log_id, promise))
        return promise

    def public_keys(self) -> dict:
        return {"log": self._log_id, "keys": [self.key.public()]}

    def sign(self, message: bytes) -> tuple[str, str]:
        return self.key.sign(message)


def record(subject_type: str, subject_id: int, kind: str, body: dict, *, role: str = "system", actor_id=None) -> Entry:
    with transaction.atomic():
        return services.record_fact(Fact(kind=kind, subject_type=subject_type, subject_id=subject_id, actor_role=role, actor_id=actor_id, body=body))


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes], order: list[str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in order or list(files):
            zf.writestr(name, files[name])
    return out.getvalue()


def bundle_bytes(*, order, case=None, role: str = "buyer", since=None) -> bytes:
    from kadun.evidence import bundle

    _name, handle = bundle.bundle_file(order=order, case=case, role=role, since=since)
    return handle.read()
