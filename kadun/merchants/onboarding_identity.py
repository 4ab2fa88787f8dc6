"""Identity numbers of 资质审核: checked by their check digit, sealed at rest, masked for display.

- 居民身份证号 (个人): 17 digits and a check character (GB 11643, ISO 7064 MOD 11-2).
- 统一社会信用代码 (企业): 18 characters of ``0-9A-HJ-NPQRTUWXY`` with a check character (GB 32100).
"""
from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from kadun.core import sealed
from kadun.core.errors import InvalidInput
from kadun.merchants.onboarding_states import EntityType

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class InvalidIdNumber(InvalidInput):
    code = "invalid_id_number"
    message = "身份证号格式不正确（18位，最后一位为数字或X，校验位需正确）。"


class InvalidLicenceNumber(InvalidInput):
    code = "invalid_licence_number"
    message = "统一社会信用代码格式不正确（18位数字或大写字母，校验位需正确）。"


def id_number_valid(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def licence_number_valid(number: str) -> bool:
    if len(number) != 18 or any(c not in _USCC_CHARS for c in number):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(number[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == number[17]


def clean_number(entity_type: str, number: str) -> str:
    """The number, upper-cased and without spaces, or the error of its kind."""
    number = re.sub(r"\s+", "", number or "").upper()
    if entity_type == EntityType.COMPANY:
        if not licence_number_valid(number):
            raise InvalidLicenceNumber()
    elif not id_number_valid(number):
        raise InvalidIdNumber()
    return number


def mask_number(number: str) -> str:
    """First 4 and last 4 characters (the shop page, the merchant's own status page)."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """A person's name with all but its first character hidden: 张三 → 张*."""
    return name[:1] + "*" * max(1, len(name) - 1)


def display_name(entity_type: str, legal_name: str) -> str:
    """What the public sees: a company's full name (电子商务法 §15), a person's masked name."""
    return legal_name if entity_type == EntityType.COMPANY else mask_name(legal_name)


def fingerprint(number: str) -> str:
    """Keyed hash of a number: the same person or company behind several shops shows up, and the
    database never holds a plain hash that a list of numbers would invert."""
    key = settings.KADUN_KEY_HASH_SECRET.encode()
    return hmac.new(key, b"shop-identity:" + number.encode(), hashlib.sha256).hexdigest()


def seal(legal_name: str, number: str) -> str:
    return sealed.seal({"legal_name": legal_name, "number": number})


def unseal(token: str) -> dict:
    return sealed.unseal(token)
