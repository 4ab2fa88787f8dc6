"""异常订单预警: the published thresholds of the abnormal-order alert rules (kadun.risk.alert_rules).
The rules page for staff (/backoffice/risk/alerts/ "规则") and docs/risk.md show these values; the
rules read them, so what is shown is what is enforced."""

# a. 同一来源短时间内大量下单: within M minutes, N or more orders from one buyer account or one
#    guest contact (e-mail / QQ / phone, normalised), ``device_orders`` from one device cookie, or
#    ``address_orders`` from one address (IP; shared by cafés and carriers' NAT, so more).
KADUN_ALERT_BURST = {"orders": 20, "minutes": 10, "device_orders": 20, "address_orders": 50}

# b. 买家大量购买卡密后多数报无效: within ``days``, a buyer bought at least ``min_keys`` keys and
#    reported at least ``share_percent`` % of them invalid (refund requests with reason 卡密无效).
KADUN_ALERT_INVALID_CLAIMS = {"days": 30, "min_keys": 10, "share_percent": 60}

# c. 商品或批次无效率突增: in the last ``recent_hours``, at least ``min_reports`` keys of one product
#    or one import batch reported invalid, and the share of its keys sold in that time that were
#    reported is at least ``factor`` × its rate over the ``baseline_days`` before, and at least
#    ``floor_percent`` %.
KADUN_ALERT_INVALID_RATE = {"recent_hours": 24, "baseline_days": 14, "min_reports": 5, "factor": 3, "floor_percent": 20}

# d. 商家销量暴增且多为新品无评价: a shop's orders in the last 24 hours are at least ``min_orders``
#    and at least ``factor`` × its daily average over the ``baseline_days`` before, and at least
#    ``new_share_percent`` % of them are of products created within ``new_days`` with no review.
KADUN_ALERT_SALES_SPIKE = {"min_orders": 30, "factor": 5, "baseline_days": 14, "new_days": 7, "new_share_percent": 70}

# e. 改价后短时间内大量下单: a product's price was changed and within ``minutes`` after the change
#    it got at least ``orders`` orders, and at least ``factor`` × its orders in the same length of
#    time before the change.
KADUN_ALERT_PRICE_FLASH = {"minutes": 30, "orders": 15, "factor": 4}

# f. 引流话术跨店重复: the same off-platform contact (normalised WeChat / QQ / phone / Telegram /
#    link) or the same normalised text flagged (LureFlag) in at least ``shops`` different shops
#    within ``days``.
KADUN_ALERT_LURE_SHOPS = {"shops": 2, "days": 30}

# The worker duty reads new facts (orders, refund requests, lure flags) after its watermark, this
# many at a time, and at most ``KADUN_ALERT_MAX_BATCHES`` batches per source per run.
KADUN_ALERT_BATCH = 2000
KADUN_ALERT_MAX_BATCHES = 50
# A repeat of an open alert adds its facts to the alert; lists of ids kept per alert at most:
KADUN_ALERT_MAX_IDS = 200
# Facts younger than this are left for the next run: an id taken by a transaction that has not
# committed yet is never skipped by the watermark (purchase transactions last well under this).
KADUN_ALERT_LAG_SECONDS = 60
