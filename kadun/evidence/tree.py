"""The stored Merkle tree: perfect-subtree hashes in ``TreeNode``, keyed ``level << 48 | index``.

Every perfect subtree inside the integrated size is stored the moment its last leaf is integrated,
so the hash of any range the RFC 6962 proofs ask for — a perfect subtree, or a right edge
[lo, n) — is a fold of at most log₂ n stored nodes. A proof or a root reads its nodes in one
query (``StoredTree.prefetch`` runs the proof once to learn the keys, then fetches them), so its
cost is O(log n) whatever the size of the log.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from kadun.evidence import merkle
from kadun.evidence.models import TreeNode

SHIFT = 48  # up to 2^48 leaves


def node_key(level: int, index: int) -> int:
    return level << SHIFT | index


def pieces(lo: int, hi: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) that make up the aligned range [lo, hi), left to right:
    the binary digits of hi - lo, largest first (RFC 6962's split puts the largest power of two
    on the left)."""
    out = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo % (1 << level):
            raise ValueError(f"range [{lo}, {hi}) is not aligned")
        out.append((level, lo >> level))
        lo += 1 << level
    return out


def fold(hashes: list[bytes]) -> bytes:
    """MTH of a range from its pieces' hashes (right to left)."""
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = merkle.node_hash(h, r)
    return r


def fetch(keys: Iterable[int]) -> dict[int, bytes]:
    keys = set(keys)
    if not keys:
        return {}
    return {k: bytes(h) for k, h in TreeNode.objects.filter(key__in=keys).values_list("key", "hash")}


class StoredTree:
    """``subtree(lo, hi)`` for the merkle proof functions, served from ``TreeNode`` rows."""

    def __init__(self):
        self.nodes: dict[int, bytes] = {}

    def keys_of(self, lo: int, hi: int) -> list[int]:
        return [node_key(level, index) for level, index in pieces(lo, hi)]

    def subtree(self, lo: int, hi: int) -> bytes:
        missing = [k for k in self.keys_of(lo, hi) if k not in self.nodes]
        if missing:  # not prefetched: one query for this range
            self.nodes.update(fetch(missing))
        try:
            return fold([self.nodes[k] for k in self.keys_of(lo, hi)])
        except KeyError:
            raise LookupError(f"tree nodes for [{lo}, {hi}) are not stored") from None

    def prefetch(self, run: Callable[[Callable[[int, int], bytes]], object]) -> None:
        """Run a proof once with a recorder to learn every node it needs, then fetch them all."""
        wanted: set[int] = set()

        def record(lo: int, hi: int) -> bytes:
            wanted.update(self.keys_of(lo, hi))
            return b"\x00" * 32

        run(record)
        self.nodes.update(fetch(wanted - self.nodes.keys()))

    def root(self, n: int) -> bytes:
        if n == 0:
            return merkle.EMPTY_ROOT
        self.nodes.update(fetch(k for k in self.keys_of(0, n) if k not in self.nodes))
        return self.subtree(0, n)

    def inclusion(self, m: int, n: int) -> list[bytes]:
        self.prefetch(lambda sub: merkle.inclusion_path(m, n, sub))
        return merkle.inclusion_path(m, n, self.subtree)

    def consistency(self, m: int, n: int) -> list[bytes]:
        self.prefetch(lambda sub: merkle.consistency_path(m, n, sub))
        return merkle.consistency_path(m, n, self.subtree)


class Appender:
    """Appends leaf hashes to a tree of ``size`` leaves whose right-edge pieces are known, and
    yields the new perfect nodes to store (the leaf itself, and each subtree it completes)."""

    def __init__(self, size: int, edge: list[bytes]):
        self.size = size
        # (level, hash) of the pieces of [0, size), left to right
        self.edge = [(level, h) for (level, _), h in zip(pieces(0, size), edge, strict=True)]

    @classmethod
    def load(cls, size: int) -> Appender:
        keys = [node_key(level, index) for level, index in pieces(0, size)]
        nodes = fetch(keys)
        return cls(size, [nodes[k] for k in keys])

    def append(self, leaf: bytes) -> list[tuple[int, bytes]]:
        index = self.size
        new = [(node_key(0, index), leaf)]
        level, h = 0, leaf
        while self.edge and self.edge[-1][0] == level:
            _, left = self.edge.pop()
            h = merkle.node_hash(left, h)
            level += 1
            new.append((node_key(level, index >> level), h))
        self.edge.append((level, h))
        self.size += 1
        return new

    def root(self) -> bytes:
        return fold([h for _, h in self.edge]) if self.edge else merkle.EMPTY_ROOT
