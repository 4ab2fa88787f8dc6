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
# Payout providers by account kind (sandbox plays the gateway; "manual": staff pay and enter the
# reference). With the real gateways signed: {"alipay": "alipay", "wechat": "wechatpay", "bank":
# "manual", "usdt_trc20": "manual"} (docs/payments.md, Payouts).
KADUN_PAYOUT_PROVIDERS = {"alipay": "sandbox", "wechat": "sandbox", "bank": "manual", "usdt_trc20": "manual"}
# Minutes to wait for a payout's result before the sweeper asks the provider.
KADUN_PAYOUT_QUERY_MINUTES = 30
# --- 信用分 (credit score): the published formula. Every number the rules page and the shop's
# credit page show is read from here, and the formula in kadun/reputation/score.py uses the same.
KADUN_CREDIT_WINDOW_DAYS = 90
KADUN_CREDIT_WEIGHTS = {
    "on_time": 0.20,  # manual services delivered before their deadline
    "seller_fault": 0.25,  # cases decided against the merchant, per order
    "intervention": 0.15,  # 介入率: cases the platform had to take over
    "first_response": 0.15,  # the merchant's first answer in a case, p90
    "rating": 0.15,  # buyers' reviews, Bayesian (reviews: issue #12)
    "tenure": 0.10,  # days open and confirmed orders
}
KADUN_CREDIT_SELLER_FAULT_ZERO = 0.02  # seller-fault decisions per order at which the component is 0
KADUN_CREDIT_INTERVENTION_ZERO = 0.05  # 介入率 at which the component is 0
KADUN_CREDIT_RESPONSE_FULL_HOURS = 1  # first-response p90 at or under this scores 1
KADUN_CREDIT_RESPONSE_ZERO_HOURS = 24  # … at or over this scores 0
KADUN_CREDIT_RATING_PRIOR = 4.5  # the Bayesian prior: a shop without reviews is rated this (of 5)
KADUN_CREDIT_RATING_PRIOR_WEIGHT = 10  # … worth this many reviews
KADUN_CREDIT_TENURE_DAYS = 365  # days open for the full tenure half
KADUN_CREDIT_VOLUME_ORDERS = 500  # confirmed orders in the window for the full volume half
KADUN_CREDIT_WARNING_POINTS = 100  # minus per active warning (警告)
KADUN_CREDIT_WARNING_DAYS = 365  # a warning counts (and is shown) this long
KADUN_CREDIT_BREACH_POINTS = 10  # minus per breach in the window
KADUN_CREDIT_NEW_SHOP_DAYS = 30  # a shop younger than this …
KADUN_CREDIT_NEW_SHOP_ORDERS = 20  # … or with fewer confirmed orders in the window is 新商家 (provisional)
KADUN_CREDIT_REFRESH_DELAY_SECONDS = 30  # events within this share one recompute
KADUN_CREDIT_NIGHTLY_HOUR_UTC = 19  # the nightly recompute of every shop (03:00 Beijing)
KADUN_CREDIT_CHUNK = 500  # shops per chunk in the nightly recompute
# Below a band the shop is restricted: no new products under "mid"'s floor … and a smaller
# amount per order (分) by band; None = no limit.
KADUN_CREDIT_NO_NEW_PRODUCTS_BELOW = 500
KADUN_CREDIT_MAX_ORDER_AMOUNT = {"high": None, "mid": 500_000, "low": 50_000}

# --- 处罚 (penalties): 一次警告、二次封号.
KADUN_PENALTY_REPEAT_DAYS = 365  # a second confirmed violation within this bans (封号)
KADUN_PENALTY_APPEAL_DAYS = 7  # the merchant may appeal within this, to a different staff member
KADUN_PENALTY_BAN_SETTLE_DAYS = 30  # after the last order's after-sales window and case closed, the rest is paid out
# Breaches that make a proposal for risk staff: kind → (how many, within days).
KADUN_PENALTY_THRESHOLDS = {
    "missed_deadlines": {"count": 3, "days": 30},
    "off_platform_lure": {"count": 2, "days": 90},
}
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
# --- 跑路 protection (runaway): signals, weights, thresholds (kadun.risk.runaway_signals) -----
# Each signal counts facts in a window; it is "on" when the count reaches its threshold, and the
# shop's risk score is the sum of the weights of the signals that are on. The public rules page
# (merchants/_rules_runaway.html) shows these numbers; the code reads the same dict.
KADUN_RUNAWAY_SIGNALS = {
    # 逾期未处理: refund requests left unanswered / promises broken / services overdue (merchants
    # Breach rows) and cases escalated because the merchant did not reply, in the window.
    "silent": {"window_hours": 48, "threshold": 3, "weight": 40},
    # 投诉激增后提现: a withdrawal requested while refund requests + cases opened in the last
    # ``complaint_days`` reach the threshold (counted for ``window_hours`` after the withdrawal).
    "withdrawal_after_complaints": {"complaint_days": 7, "threshold": 5, "window_hours": 48, "weight": 40},
    # 批次卡密大量无效: in one import batch of the last ``batch_days``, at least ``min_revealed``
    # keys revealed and ``share_percent`` % of those reported invalid (refund requests with reason
    # invalid_key, or a verification report used/invalid).
    "invalid_keys": {"batch_days": 30, "min_revealed": 10, "share_percent": 30, "weight": 50},
    # 服务商家失联: ``queued`` or more manual-delivery orders paid and not delivered, and no login
    # or merchant action on an order for ``inactive_hours``.
    "inactive_with_queue": {"inactive_hours": 24, "queued": 3, "weight": 30},
    # 异常订单预警: abnormal-order alerts about the shop (sales spike on unreviewed new products,
    # price change before a flash of orders, lure text repeated across shops, an invalid-rate jump
    # of its products or batches, a burst of orders all at this shop), open or closed as 确认欺诈,
    # raised in the last ``days``. Alone below the alert score; with one other signal, an alert.
    "abnormal_alerts": {"days": 30, "threshold": 1, "weight": 20},
}
KADUN_RUNAWAY_ALERT_SCORE = int(os.environ.get("KADUN_RUNAWAY_ALERT_SCORE", "40"))  # ≥: a RiskAlert (kind runaway)
KADUN_RUNAWAY_FREEZE_SCORE = int(os.environ.get("KADUN_RUNAWAY_FREEZE_SCORE", "80"))  # ≥: the shop is frozen automatically
KADUN_RUNAWAY_EVAL_HOURS = 6  # a watched shop is evaluated again this often (deadline runaway_evaluate)
# 跑路处置: orders confirmed within their after-sales window (the frozen rules' refund_window_hours
# after delivery) are refunded too; this caps how far back the window is looked for.
KADUN_RUNAWAY_MAX_WINDOW_DAYS = 90
# Where a runaway refund is paid from, in this order (payments.services.refund_issue's chain).
# insurance_pool (售后保险) pays for insured orders only (kadun.insurance; docs/insurance.md).
KADUN_RUNAWAY_REFUND_SOURCES = ["escrow", "pending", "available", "deposit", "insurance_pool", "advance"]
