"""The one-file verifier: the verifier's modules (and the two it imports) joined into one
script a person can read and run with nothing but Python and ``cryptography`` —
``python verify.py BUNDLE.zip``. Every bundle carries it as ``verify.py``; the site serves it at
``/evidence/verify.py``. The code is the same text as the package's, so both say the same."""
from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).resolve().parent
PARTS = (
    ("canonical", HERE.parent / "canonical.py"),
    ("merkle", HERE.parent / "merkle.py"),
    ("verify", HERE / "verify.py"),
    ("cli", HERE / "cli.py"),
)
NAMESPACES = (
    "canonical = types.SimpleNamespace(dumps=dumps, sha256_hex=sha256_hex)\n"
    "merkle = types.SimpleNamespace(leaf_hash=leaf_hash, node_hash=node_hash, verify_inclusion=verify_inclusion,"
    " verify_consistency=verify_consistency)\n"
)
HEADER = '''#!/usr/bin/env python3
"""kadun 存证包离线校验（单文件版）/ kadun evidence bundle verifier, one file.

Usage: python verify.py BUNDLE.zip [--against OLDHEAD.json]   (Python >= 3.11, pip install cryptography)
Generated from kadun/evidence/canonical.py, merkle.py and kadun/evidence/offline/verify.py, cli.py
of the kadun source: compare it with that code, or use the copy from the repository.
"""
from __future__ import annotations

import sys
import types
'''


def _body(path: pathlib.Path) -> str:
    keep = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() != "from __future__ import annotations" and not line.rstrip().endswith("# onefile: inlined")]
    return "\n".join(keep).strip("\n") + "\n"


def source() -> str:
    out = [HEADER]
    for name, path in PARTS:
        out.append(f"\n# ---- {name} ({path.name}) " + "-" * 60 + "\n")
        out.append(_body(path))
        if name == "merkle":
            out.append("\n" + NAMESPACES)
    out.append('\n\nif __name__ == "__main__":\n    sys.exit(main())\n')
    return "".join(out)
