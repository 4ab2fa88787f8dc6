"""Alipay open-platform signatures: RSA2 = SHA256withRSA, PKCS#1 v1.5, base64.

- A request is signed over every non-empty parameter except ``sign``, sorted by name and joined
  ``k=v&k=v`` (raw values, not URL-encoded).
- An asynchronous notification is verified over every non-empty parameter except ``sign`` *and*
  ``sign_type``, sorted, with the values URL-decoded (Django has decoded the form already).
- A synchronous answer ``{"alipay_trade_query_response": {...}, "sign": "..."}`` is verified over
  the exact bytes of the ``…_response`` JSON object as Alipay sent them (not a re-serialisation).
"""
from __future__ import annotations

import base64
import binascii
import functools
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def request_content(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in ("", None))


def notify_content(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type") and params[k] not in ("", None))


@functools.lru_cache(maxsize=8)
def _private(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


@functools.lru_cache(maxsize=8)
def _public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def rsa2_sign(content: str, private_pem: str) -> str:
    raw = _private(private_pem).sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def rsa2_verify(content: str, signature: str, public_pem: str) -> bool:
    try:
        raw = base64.b64decode(signature or "", validate=True)
        _public(public_pem).verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def response_body(text: str, method: str) -> tuple[str, dict, str]:
    """(the raw ``…_response`` JSON text, it parsed, the ``sign``) of a synchronous answer.
    ``alipay.trade.query`` → key ``alipay_trade_query_response`` (``error_response`` on an
    error before the method ran). The raw text is cut from the answer itself, so what is
    verified is exactly what Alipay signed."""
    doc = json.loads(text)
    key = method.replace(".", "_") + "_response"
    if key not in doc:
        key = "error_response"
    marker = f'"{key}"'
    at = text.index(marker) + len(marker)
    at = text.index(":", at) + 1
    while text[at] in " \t\r\n":
        at += 1
    _obj, end = json.JSONDecoder().raw_decode(text, at)
    return text[at:end], doc.get(key) or {}, str(doc.get("sign", ""))
