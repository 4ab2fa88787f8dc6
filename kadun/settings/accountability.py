"""Merchant accountability: onboarding, badges, deposit, withdrawals, credit score, penalties and
runaway protection. The public rules page shows these numbers; the code applies them."""
from __future__ import annotations

import os

# Credit bands: ≥ high is "high", ≥ mid is "mid", below is "low" (deposit multipliers, restrictions).
KADUN_CREDIT_BANDS = {"high": 800, "mid": 600}
# A new shop's provisional score until it has a record (新商家).
KADUN_CREDIT_NEW_SHOP_SCORE = int(os.environ.get("KADUN_CREDIT_NEW_SHOP_SCORE", "700"))
