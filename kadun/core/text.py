"""Folding what people type into one canonical form, so that a limit keyed on a value can't be
dodged by writing the same value differently."""
from __future__ import annotations

import unicodedata

# Control and format characters (zero-width space, BOM, bidi marks ...), separators of every kind,
# unassigned and private-use code points, and variation selectors: none of them can be seen.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
_INVISIBLE_EXTRA = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"} | {chr(c) for c in range(0xFE00, 0xFE10)}


def fold(value: str | None) -> str:
    """NFKC (full-width ０-９ and Ａ-Ｚ become ASCII), then every whitespace and invisible character
    removed: ``" ２０２６ 01\\u200b"`` → ``"202601"``."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(
        ch for ch in text
        if not ch.isspace() and ch not in _INVISIBLE_EXTRA and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        and not 0xE0100 <= ord(ch) <= 0xE01EF
    )
