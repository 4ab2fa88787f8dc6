"""Money is an integer number of 分 (fen) everywhere. These helpers only format and parse."""
from __future__ import annotations

import re

from kadun.core.errors import DomainError

_YUAN = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


def fen_to_yuan(fen: int) -> str:
    """1234 -> '12.34'; -5 -> '-0.05'."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """'12.3' -> 1230. Refuses more than two decimals, signs and garbage."""
    match = _YUAN.match(str(text))
    if not match:
        raise DomainError("invalid_amount", "金额格式不正确，最多两位小数。")
    whole, frac = match.groups()
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


def fee_of(amount: int, bps: int) -> int:
    """Fee in 分 for ``amount`` at ``bps`` basis points, rounded half up."""
    return (amount * bps + 5000) // 10000
