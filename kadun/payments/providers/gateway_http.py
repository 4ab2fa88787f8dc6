"""What the real gateways share: amounts as the exact decimal strings they send, and HTTP
calls (standard library only) that tests point at a local fake through the gateway URL."""
from __future__ import annotations

import re
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation

from kadun.payments.errors import BadNotification

_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")


def amount_fen(text: str | None) -> int:
    """``"10.1"`` → 1010 分, exactly (Decimal, never float). More than two decimals, a sign, an
    exponent or anything else: BadNotification (refused, nothing changes)."""
    text = (text or "").strip()
    if not _AMOUNT.match(text):
        raise BadNotification("malformed_amount", "支付通知金额格式错误。")
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern already refuses it
        raise BadNotification("malformed_amount", "支付通知金额格式错误。") from None


def yuan(fen: int) -> str:
    """1010 分 → ``"10.10"``: what gateways are sent."""
    return f"{int(fen) // 100}.{int(fen) % 100:02d}"


def http_post(url: str, params: dict[str, str], *, timeout: int) -> bytes:
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the configured gateway)
        return response.read()


def http_get(url: str, params: dict[str, str], *, timeout: int) -> bytes:
    sep = "&" if "?" in url else "?"
    with urllib.request.urlopen(url + sep + urllib.parse.urlencode(params), timeout=timeout) as response:  # noqa: S310
        return response.read()
