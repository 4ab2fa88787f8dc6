"""The stored tree against the RFC 6962 reference vectors (the 8-leaf tree of Certificate
Transparency's Go implementation, transparency-dev/merkle proof/verify_test.go) and against the
plain in-memory tree for every shape up to 70 leaves."""
from __future__ import annotations

import random

import pytest

from kadun.evidence import merkle
from kadun.evidence.models import TreeNode
from kadun.evidence.tree import Appender, StoredTree

pytestmark = pytest.mark.django_db

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf number, 1-based as in the Go vectors; tree size; path)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def store(leaf_hashes) -> StoredTree:
    appender = Appender(0, [])
    nodes = []
    for h in leaf_hashes:
        nodes.extend(TreeNode(key=k, hash=v) for k, v in appender.append(h))
    TreeNode.objects.bulk_create(nodes)
    return StoredTree()


def test_stored_roots_match_the_reference_roots_at_every_size():
    tree = store([merkle.leaf_hash(x) for x in LEAVES])
    assert tree.root(0).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [tree.root(n).hex() for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize("leaf,size,path", INCLUSION)
def test_stored_inclusion_paths_are_the_reference_paths(leaf, size, path):
    tree = store([merkle.leaf_hash(x) for x in LEAVES])
    assert [p.hex() for p in tree.inclusion(leaf - 1, size)] == path
    assert merkle.verify_inclusion(leaf - 1, size, merkle.leaf_hash(LEAVES[leaf - 1]), tree.inclusion(leaf - 1, size), bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize("first,second,path", CONSISTENCY)
def test_stored_consistency_paths_are_the_reference_paths(first, second, path):
    tree = store([merkle.leaf_hash(x) for x in LEAVES])
    got = tree.consistency(first, second)
    assert [p.hex() for p in got] == path
    assert merkle.verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]), got)


def test_stored_tree_agrees_with_the_in_memory_tree_for_every_shape_up_to_70_leaves():
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(70)]
    stored, memory = store(leaves), merkle.InMemoryTree(leaves)
    for n in range(1, 71):
        assert stored.root(n) == memory.root(n)
        for m in range(n):
            assert stored.inclusion(m, n) == memory.inclusion(m, n)
        for m in range(1, n + 1):
            assert stored.consistency(m, n) == memory.consistency(m, n)


def test_a_proof_reads_its_nodes_in_one_query(django_assert_num_queries):
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(1000)]
    store(leaves)
    rng = random.Random(5)
    for _ in range(20):
        n = rng.randint(2, 1000)
        m = rng.randrange(n)
        with django_assert_num_queries(1):
            path = StoredTree().inclusion(m, n)
        assert merkle.verify_inclusion(m, n, leaves[m], path, merkle.root_of(leaves[:n]))
        with django_assert_num_queries(1):
            path = StoredTree().consistency(max(1, m), n)
        assert merkle.verify_consistency(max(1, m), n, merkle.root_of(leaves[:max(1, m)]), merkle.root_of(leaves[:n]), path)
