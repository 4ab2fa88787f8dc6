"""RFC 3161 time stamps on signed tree heads, from the TSA at ``KADUN_EVIDENCE_TSA_URL`` (off when
empty), through ``rfc3161-client``.

The request is for the SHA-256 of the head's signed message, with a nonce and the TSA's
certificate asked for; the answer is checked (granted, same imprint, same nonce) and its
TimeStampToken (DER) kept on the head. Anyone can check it with ``verify`` here, or with
``openssl ts -verify -token_in -in token.der -data message -CAfile tsa-ca.pem``.
"""
from __future__ import annotations

import hashlib
import urllib.request

from django.conf import settings

GRANTED = (0, 1)  # granted, grantedWithMods


class TsaError(Exception):
    pass


def request_for(message: bytes):
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    return TimestampRequestBuilder(data=message, hash_algorithm=HashAlgorithm.SHA256, nonce=True, cert_req=True).build()


def _post(url: str, body: bytes) -> bytes:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/timestamp-query"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=settings.KADUN_EVIDENCE_TSA_TIMEOUT_SECONDS) as resp:  # noqa: S310 (the operator's URL)
            if resp.status != 200:
                raise TsaError(f"TSA answered HTTP {resp.status}")
            return resp.read(1 << 20)
    except OSError as exc:
        raise TsaError(f"TSA unreachable: {exc}") from exc


def timestamp(message: bytes, *, url: str | None = None) -> bytes:
    """The TimeStampToken (DER) of ``message`` from the configured TSA."""
    from rfc3161_client import decode_timestamp_response

    request = request_for(message)
    raw = _post(url or settings.KADUN_EVIDENCE_TSA_URL, request.as_bytes())
    try:
        response = decode_timestamp_response(raw)
    except Exception as exc:  # the library raises its own ValueError kinds
        raise TsaError(f"not a time-stamp response: {exc}") from exc
    status = int(getattr(response.status, "value", response.status))
    if status not in GRANTED:
        raise TsaError(f"TSA refused: status {status}")
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(message).digest():
        raise TsaError("TSA stamped another message")
    if info.nonce != request.nonce:
        raise TsaError("TSA answered another request (nonce)")
    return response.time_stamp_token()


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def response_of(token: bytes) -> bytes:
    """TimeStampResp { status granted, token } around a stored token, for the verifier."""
    inner = b"\x30\x03\x02\x01\x00" + token
    return b"\x30" + _der_length(len(inner)) + inner


def verify(token: bytes, message: bytes, *, roots: list) -> bool:
    """Is ``token`` a valid time stamp of ``message`` by a TSA certified under ``roots``
    (cryptography x509 certificates)?"""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        return bool(builder.build().verify_message(decode_timestamp_response(response_of(token)), message))
    except (VerificationError, ValueError):
        return False


def gen_time(token: bytes):
    from rfc3161_client import decode_timestamp_response

    return decode_timestamp_response(response_of(token)).tst_info.gen_time
