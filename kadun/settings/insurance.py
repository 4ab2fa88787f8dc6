"""售后保险 (after-sales insurance, docs/insurance.md). The checkout box, the order page and the
rules shown to buyers read these numbers; kadun/insurance/terms.py computes with the same."""
from __future__ import annotations

import os

# Cover is offered at checkout (the box and the API's ``insure``) only when on.
KADUN_INSURANCE_ENABLED = os.environ.get("KADUN_INSURANCE_ENABLED", "1") == "1"
# Premium: this share (basis points) of the order's amount, times the merchant's credit-band
# factor (per mille), rounded half up to the 分, and at least the minimum (分).
KADUN_INSURANCE_PREMIUM_BPS = int(os.environ.get("KADUN_INSURANCE_PREMIUM_BPS", "200"))
KADUN_INSURANCE_PREMIUM_MIN = int(os.environ.get("KADUN_INSURANCE_PREMIUM_MIN", "10"))
# By credit band (kadun.reputation.selectors.shop_credit(...).band), like the deposit multiplier.
KADUN_INSURANCE_BAND_PERMILLE = {"high": 1000, "mid": 1500, "low": 2000}
# After-sales protection, days after delivery, by the kind of goods (the deposit's kinds: a manual
# delivery is a service, the game-account categories are game accounts, the rest card keys). The
# period is always longer than the product's inspection window (at least one day more).
KADUN_INSURANCE_PROTECTION_DAYS = {"card_keys": 7, "services": 30, "game_accounts": 30}
KADUN_INSURANCE_GAME_ACCOUNT_CATEGORIES = ("game_account",)
