"""Merchant accountability: onboarding, badges, deposit, withdrawals, credit score, penalties and
runaway protection. The public rules page shows these numbers; the code applies them."""
from __future__ import annotations

import os

# Credit bands: ≥ high is "high", ≥ mid is "mid", below is "low" (deposit multipliers, restrictions).
KADUN_CREDIT_BANDS = {"high": 800, "mid": 600}
# A new shop's provisional score until it has a record (新商家).
KADUN_CREDIT_NEW_SHOP_SCORE = int(os.environ.get("KADUN_CREDIT_NEW_SHOP_SCORE", "700"))

# --- onboarding (资质审核) and badges (onboard) ---------------------------------------------
# Per category, the proofs of the right to sell it a shop must upload (all of them) before it may
# list products in it; a category not named needs none. Kinds: merchants.onboarding_states.ProofKind.
KADUN_ONBOARDING_CATEGORY_PROOFS = {
    "game_card": ["channel_auth"],
    "software": ["software_licence"],
    "membership": ["official_partner"],
}
# 金牌商家: every criterion must hold; a shop loses the badge as soon as one does not (recomputed
# nightly and on the events that move a criterion).
KADUN_BADGE_GOLD = {
    "credit_min": int(os.environ.get("KADUN_BADGE_GOLD_CREDIT_MIN", "850")),
    "age_days": 90,  # shop age (经营时长)
    "orders_min": 200,  # confirmed orders within orders_days
    "orders_days": 90,
    "deposit_multiple": 2,  # deposit held ≥ this × the required deposit
    "warning_free_days": 365,  # no warning (警告) within this many days
}
# The nightly badge recompute runs at this hour, Asia/Shanghai.
KADUN_BADGES_NIGHTLY_HOUR = 3
