"""Merchant accountability: onboarding, badges, deposit, withdrawals, credit score, penalties and
runaway protection. The public rules page shows these numbers; the code applies them."""
from __future__ import annotations

import os

# Credit bands: ≥ high is "high", ≥ mid is "mid", below is "low" (deposit multipliers, restrictions).
KADUN_CREDIT_BANDS = {"high": 800, "mid": 600}
# A new shop's provisional score until it has a record (新商家).
KADUN_CREDIT_NEW_SHOP_SCORE = int(os.environ.get("KADUN_CREDIT_NEW_SHOP_SCORE", "700"))

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
}
KADUN_RUNAWAY_ALERT_SCORE = int(os.environ.get("KADUN_RUNAWAY_ALERT_SCORE", "40"))  # ≥: a RiskAlert (kind runaway)
KADUN_RUNAWAY_FREEZE_SCORE = int(os.environ.get("KADUN_RUNAWAY_FREEZE_SCORE", "80"))  # ≥: the shop is frozen automatically
KADUN_RUNAWAY_EVAL_HOURS = 6  # a watched shop is evaluated again this often (deadline runaway_evaluate)
# 跑路处置: orders confirmed within their after-sales window (the frozen rules' refund_window_hours
# after delivery) are refunded too; this caps how far back the window is looked for.
KADUN_RUNAWAY_MAX_WINDOW_DAYS = 90
# Where a runaway refund is paid from, in this order (payments.services.refund_issue's chain).
# insurance_pool (售后保险, issue #12) is documented and skipped until insurance exists.
KADUN_RUNAWAY_REFUND_SOURCES = ["escrow", "pending", "available", "deposit", "insurance_pool", "advance"]
