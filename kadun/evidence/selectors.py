"""Reads of the evidence log: entries, signed heads, proofs, keys, promises (docs/evidence.md).

Every dict here is in the JSON form of the shared contract (hashes lowercase hex, signatures and
keys standard base64, times ``isoformat()`` of aware UTC datetimes).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet

from kadun.evidence import merkle, signing
from kadun.evidence.errors import InvalidTreeSize
from kadun.evidence.heads import head_json
from kadun.evidence.models import Entry, LogState, SigningKey, TreeHead
from kadun.evidence.sequencer import leaf_bytes
from kadun.evidence.tree import StoredTree


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat()


def entries_of(subject_type: str, subject_id: int) -> QuerySet[Entry]:
    return Entry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("id")


def entry_get(entry_id: int) -> Entry | None:
    return Entry.objects.filter(pk=entry_id).first()


def integrated_size() -> int:
    return LogState.objects.filter(pk=1).values_list("tree_size", flat=True).first() or 0


def latest_head() -> dict | None:
    head = TreeHead.objects.order_by("-tree_size").first()
    return head_json(head) if head else None


def head_of_size(n: int) -> dict | None:
    head = TreeHead.objects.filter(tree_size=n).first()
    return head_json(head) if head else None


def heads_page(*, before: int | None = None, limit: int = 100) -> list[dict]:
    """Signed heads, newest first; ``before`` a tree size (the page after the one ending there)."""
    qs = TreeHead.objects.order_by("-tree_size")
    if before is not None:
        qs = qs.filter(tree_size__lt=before)
    return [head_json(h) for h in qs[:limit]]


def leaf_hash_of(entry: Entry) -> str:
    return entry.leaf_hash or merkle.leaf_hash(leaf_bytes(entry)).hex()


def inclusion_proof(entry: Entry, tree_size: int | None = None) -> dict | None:
    """The audit path of ``entry`` in the tree of ``tree_size`` leaves (default: the latest signed
    head's); None if the entry is not in that tree or the size is not integrated yet."""
    if tree_size is None:
        head = TreeHead.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
        if head is None:
            return None
        tree_size = head
    if entry.leaf_index is None or not entry.leaf_index < tree_size <= integrated_size():
        return None
    path = StoredTree().inclusion(entry.leaf_index, tree_size)
    return {"leaf_index": entry.leaf_index, "tree_size": tree_size, "path": [p.hex() for p in path]}


def consistency_proof(first: int, second: int) -> dict:
    """PROOF(first, second): the tree of ``second`` leaves extends the tree of ``first``.
    ``InvalidTreeSize`` unless 0 ≤ first ≤ second ≤ the integrated size."""
    if not (isinstance(first, int) and isinstance(second, int)) or not 0 <= first <= second <= integrated_size():
        raise InvalidTreeSize()
    path = [] if first in (0, second) else StoredTree().consistency(first, second)
    return {"first": first, "second": second, "path": [p.hex() for p in path]}


def root_of_size(n: int) -> str:
    """The root of the first ``n`` integrated leaves (hex), signed or not."""
    if not 0 <= n <= integrated_size():
        raise InvalidTreeSize()
    return StoredTree().root(n).hex()


def public_keys() -> dict:
    signing.ensure_registered()
    keys = [
        {
            "key_id": k.key_id,
            "algorithm": signing.ALGORITHM,
            "public_key": k.public_key,
            "active_from": _iso(k.active_from),
            "retired_at": _iso(k.retired_at) if k.retired_at else None,
        }
        for k in SigningKey.objects.order_by("active_from", "key_id")
    ]
    return {"log": settings.KADUN_EVIDENCE_LOG_ID, "keys": keys}


def promise_of(entry: Entry) -> dict:
    """The log's signed promise to integrate ``entry`` by its creation time + the merge delay."""
    leaf = leaf_hash_of(entry)
    integrate_by = _iso(entry.created_at + dt.timedelta(seconds=settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS))
    key_id, signature = signing.sign(signing.promise_message(entry_id=entry.pk, leaf_hash=leaf, integrate_by=integrate_by))
    return {"entry_id": entry.pk, "leaf_hash": leaf, "integrate_by": integrate_by, "key_id": key_id, "signature": signature}


def leaves_range(start: int, end: int) -> QuerySet[Entry]:
    """Integrated entries with start ≤ leaf_index < end, in leaf order (body deferred)."""
    return Entry.objects.filter(leaf_index__gte=start, leaf_index__lt=end).order_by("leaf_index").defer("body")
