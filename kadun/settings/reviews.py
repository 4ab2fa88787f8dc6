"""评价 (reviews): the numbers the rules page shows and the review services apply
(docs/reviews.md)."""
from __future__ import annotations

import os

# One follow-up (追评) within this many days of the review.
KADUN_REVIEW_FOLLOWUP_DAYS = int(os.environ.get("KADUN_REVIEW_FOLLOWUP_DAYS", "30"))
# Longest review, follow-up and reply text, in characters.
KADUN_REVIEW_TEXT_MAX = int(os.environ.get("KADUN_REVIEW_TEXT_MAX", "1000"))
# Reviews per page (shop page, API).
KADUN_REVIEW_PAGE_SIZE = int(os.environ.get("KADUN_REVIEW_PAGE_SIZE", "20"))
# The window of the shop page's risk keyword counts ("近90天评价中「卡密无效」出现 3 次").
KADUN_REVIEW_KEYWORD_DAYS = int(os.environ.get("KADUN_REVIEW_KEYWORD_DAYS", "90"))
