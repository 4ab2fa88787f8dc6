"""The Merkle tree of RFC 6962 / RFC 9162 §2.1, on ``hashlib`` only.

leaf hash = SHA-256(0x00 ‖ leaf bytes); node hash = SHA-256(0x01 ‖ left ‖ right); the tree over n
leaves splits at k, the largest power of two below n. Proof *generation* takes a ``subtree(lo, hi)``
callable returning MTH(D[lo:hi]) so a caller can serve it from stored nodes; ``InMemoryTree`` is
the plain implementation. Proof *verification* follows RFC 9162 §2.1.3.2 and §2.1.4.2 and needs
nothing but this file: the offline verifier imports it as it is.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

Subtree = Callable[[int, int], bytes]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, iteratively (no recursion depth limit)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])  # an odd node moves up unchanged: same tree as the RFC's split
        level = nxt
    return level[0]


def inclusion_path(m: int, n: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf m in the tree of the first n leaves."""
    if not 0 <= m < n:
        raise ValueError("leaf index out of range")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = split(hi - lo)
        if m - lo < k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo = lo + k
    return list(reversed(path))


def consistency_path(m: int, n: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m ≤ n (RFC 6962 §2.1.2)."""
    if not 0 < m <= n:
        raise ValueError("sizes out of range")
    path: list[bytes] = []
    lo, hi, whole = 0, n, True
    while True:
        if m == hi - lo:
            if not whole:
                path.append(subtree(lo, hi))
            break
        k = split(hi - lo)
        if m <= k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            m -= k
            lo = lo + k
            whole = False
    return list(reversed(path))


class InMemoryTree:
    """Leaf hashes in a list; perfect subtrees cached, so proofs cost O(log n) after one build."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()):
        self.leaves: list[bytes] = list(leaf_hashes)
        self._cache: dict[tuple[int, int], bytes] = {}

    def append(self, data: bytes) -> int:
        self.leaves.append(leaf_hash(data))
        return len(self.leaves) - 1

    def subtree(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self.leaves[lo]
        perfect = (hi - lo) & (hi - lo - 1) == 0
        if perfect and (lo, hi) in self._cache:
            return self._cache[(lo, hi)]
        k = split(hi - lo)
        value = node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))
        if perfect:
            self._cache[(lo, hi)] = value
        return value

    def root(self, n: int | None = None) -> bytes:
        n = len(self.leaves) if n is None else n
        return EMPTY_ROOT if n == 0 else self.subtree(0, n)

    def inclusion(self, m: int, n: int | None = None) -> list[bytes]:
        return inclusion_path(m, len(self.leaves) if n is None else n, self.subtree)

    def consistency(self, m: int, n: int | None = None) -> list[bytes]:
        return consistency_path(m, len(self.leaves) if n is None else n, self.subtree)


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``leaf`` (a leaf hash) sit at ``index`` of the tree ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of size ``second`` an extension of the one of size ``first``?"""
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path  # every tree extends the empty one
    if not 0 < first < second or not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
