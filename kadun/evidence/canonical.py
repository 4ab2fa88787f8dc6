"""Canonical JSON: the exact bytes an evidence entry is hashed and signed over.

Keys sorted, no insignificant whitespace, UTF-8 without escaping non-ASCII, integers only (money
is in 分; a float in a body is refused, because two encoders may print it differently). This
module needs only the standard library: the offline verifier imports it as it is.
"""
from __future__ import annotations

import hashlib
import json


def _check(value, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"float at {path}: evidence bodies hold integers (分) and strings only")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key at {path}")
            _check(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"{type(value).__name__} at {path} is not JSON")


def dumps(value) -> bytes:
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
