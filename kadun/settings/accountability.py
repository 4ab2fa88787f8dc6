"""Merchant accountability: onboarding, badges, deposit, withdrawals, credit score, penalties and
runaway protection. The public rules page shows these numbers; the code applies them."""
from __future__ import annotations

import os

# Credit bands: ≥ high is "high", ≥ mid is "mid", below is "low" (deposit multipliers, restrictions).
KADUN_CREDIT_BANDS = {"high": 800, "mid": 600}
# A new shop's provisional score until it has a record (新商家).
KADUN_CREDIT_NEW_SHOP_SCORE = int(os.environ.get("KADUN_CREDIT_NEW_SHOP_SCORE", "700"))

# --- 保证金 (deposit, 电子商务法 §58): docs/merchants.md "Deposit (保证金)" --------------------------
# The category minimum, in 分, by the kind of goods a shop sells (its most demanding active product).
KADUN_DEPOSIT_MINIMUM = {"card_keys": 50_000, "services": 100_000, "game_accounts": 200_000}
# Which kind a product is: manual delivery is a service, these categories are game accounts, the rest card keys.
KADUN_DEPOSIT_GAME_ACCOUNT_CATEGORIES = ("game_account",)
# The sales terms: this share (basis points) of the trailing window's sales, and its largest order.
KADUN_DEPOSIT_SALES_BPS = 1000
KADUN_DEPOSIT_WINDOW_DAYS = 30
# Multiplier (per mille) by credit band.
KADUN_DEPOSIT_BAND_PERMILLE = {"high": 1000, "mid": 1500, "low": 2000}
# Hours a shop may stay below the requirement before new checkouts are refused.
KADUN_DEPOSIT_GRACE_HOURS = 72
# Whether checkout refuses a shop short past the grace (the notice shows either way).
KADUN_DEPOSIT_ENFORCE_SELLING = os.environ.get("KADUN_DEPOSIT_ENFORCE_SELLING", "1") == "1"
# The deposit is returned on closing the shop this many days after its last sale at the earliest.
KADUN_DEPOSIT_RELEASE_DAYS = 90
# Smallest top-up, in 分.
KADUN_DEPOSIT_TOPUP_MIN = 100

# --- 提现 (withdrawals): docs/merchants.md "Withdrawals (提现)" ------------------------------------
KADUN_WITHDRAWAL_MIN = 10_000  # 分
# Fee: basis points of the amount, at least the minimum (分).
KADUN_WITHDRAWAL_FEE_BPS = 60
KADUN_WITHDRAWAL_FEE_MIN = 100
# Automatic approval up to this total per shop per day (分); beyond it staff review.
KADUN_WITHDRAWAL_AUTO_DAILY_LIMIT = 5_000_000
# A burst of complaints / refund requests in 7 days sends a withdrawal to review.
KADUN_WITHDRAWAL_BURST_COUNT = 5
KADUN_WITHDRAWAL_BURST_DAYS = 7
# A shop younger than this many days has its first withdrawal reviewed.
KADUN_WITHDRAWAL_NEW_SHOP_DAYS = 30
# Payout providers by account kind (sandbox plays the gateway; "manual": staff pay and enter the reference).
KADUN_PAYOUT_PROVIDERS = {"alipay": "sandbox", "bank": "manual", "usdt_trc20": "manual"}
# Minutes to wait for a payout's result before the sweeper asks the provider.
KADUN_PAYOUT_QUERY_MINUTES = 30
