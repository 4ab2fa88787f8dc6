"""The cover's terms: the premium formula, the protection period by kind of goods, and the
clauses — computed from settings (kadun/settings/insurance.py) and frozen onto each order. The
checkout box and docs/insurance.md show the same formula:

    保费 = max(订单金额 × 2% × 信用系数, ¥0.10)   (信用系数: ≥800 ×1.0, 600–799 ×1.5, <600 ×2.0)
"""
from __future__ import annotations

import hashlib
import json
import math

from django.conf import settings
from django.utils.translation import gettext_noop as _noop

TERMS_VERSION = 1


def band_permille(band: str) -> int:
    return settings.KADUN_INSURANCE_BAND_PERMILLE[band]


def premium_for(*, amount: int, band: str) -> int:
    """The premium in 分 for an order of ``amount`` 分 from a shop in credit ``band``: rounded
    half up, at least the minimum."""
    scaled = int(amount) * settings.KADUN_INSURANCE_PREMIUM_BPS * band_permille(band)  # 分 × 10⁷
    return max((scaled + 5_000_000) // 10_000_000, settings.KADUN_INSURANCE_PREMIUM_MIN)


def kind_of(*, category: str, delivery: str) -> str:
    if category in settings.KADUN_INSURANCE_GAME_ACCOUNT_CATEGORIES:
        return "game_accounts"
    return "services" if delivery == "manual" else "card_keys"


def protection_days_for(*, kind: str, inspection_hours: int) -> int:
    """Days after delivery; always longer than the inspection window (by at least a day)."""
    return max(settings.KADUN_INSURANCE_PROTECTION_DAYS[kind], math.ceil(int(inspection_hours) / 24) + 1)


# Frozen in Chinese onto each order (the terms' hash covers them); pages show them translated.
CLAUSES = (
    _noop("保障期内（交付后起算），即使已确认收货或已超过售后期，您仍可发起售后工单。"),
    _noop("平台裁定或规则判定应退给您的款项，商家无法支付（跑路、封号、账户余额不足）时，由售后保险池立即赔付。"),
    _noop("保险池赔付后，由平台向商家追偿（保证金及其后续收入），记为商家对保险池的欠款，不影响您已收到的赔付。"),
    _noop("订单在交付前全额退款（保障未开始）的，保费原路退回；交付后保费不退。"),
)


def terms_for(*, amount: int, band: str, kind: str, inspection_hours: int) -> dict:
    return {
        "version": TERMS_VERSION,
        "amount": int(amount),
        "premium": premium_for(amount=amount, band=band),
        "premium_bps": settings.KADUN_INSURANCE_PREMIUM_BPS,
        "premium_min": settings.KADUN_INSURANCE_PREMIUM_MIN,
        "band": band,
        "band_permille": band_permille(band),
        "kind": kind,
        "protection_days": protection_days_for(kind=kind, inspection_hours=inspection_hours),
        "clauses": list(CLAUSES),
    }


def terms_hash(terms: dict) -> str:
    return hashlib.sha256(json.dumps(terms, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
