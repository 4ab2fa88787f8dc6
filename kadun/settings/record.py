"""店铺档案 (the shop's public record, issue #12): the windows and thresholds its figures are
computed with. The page's definitions (kadun/reputation/record.py) read the same numbers."""
KADUN_RECORD_WINDOW_DAYS = 90  # 差评率, 退款率, 纠纷率, 介入率, response times, 成交量 (long)
KADUN_RECORD_SHORT_DAYS = 30  # 成交量 (short)
KADUN_RECORD_BAD_STARS = 2  # a review of this many stars or fewer is a 差评
KADUN_RECORD_RATING_MONTHS = 12  # the ratings chart: this many months
KADUN_RECORD_HISTORY_POINTS = 60  # the score chart: this many last changes
