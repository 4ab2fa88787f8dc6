"""Buyer abuse records (用后退款防护): the published threshold of 「高风险退款记录」 and how buyer
identities are linked. The buyers' rules page (/rules/buyers/) prints these numbers; the code
(kadun/risk/abuse.py) applies them. docs/refunds.md, "Buyer abuse record (用后退款防护)"."""
from __future__ import annotations

import os

# The record counts facts of the last this many days; links older than this are not used either.
KADUN_ABUSE_WINDOW_DAYS = int(os.environ.get("KADUN_ABUSE_WINDOW_DAYS", "90"))
# Flag (a): at least this many refund requests in the window …
KADUN_ABUSE_MIN_REQUESTS = int(os.environ.get("KADUN_ABUSE_MIN_REQUESTS", "5"))
# … AND (decisions against the buyer + 「卡密无效」 claims on keys a checker confirmed valid) make at
# least this share (percent) of those requests.
KADUN_ABUSE_BAD_SHARE_PCT = int(os.environ.get("KADUN_ABUSE_BAD_SHARE_PCT", "50"))
# Flag (b): OR at least this many 「卡密无效」 claims after reveal on keys of a product nobody else reported.
KADUN_ABUSE_UNREPORTED_CLAIMS = int(os.environ.get("KADUN_ABUSE_UNREPORTED_CLAIMS", "3"))
# A device or contact seen with more buyer identities than this is shared (a family PC, a café
# terminal): it links nobody. IP addresses never link on their own.
KADUN_ABUSE_LINK_MAX_KEYS = int(os.environ.get("KADUN_ABUSE_LINK_MAX_KEYS", "4"))
# The device cookie: a random id, HttpOnly, SameSite=Lax, Secure with the session cookie.
KADUN_DEVICE_COOKIE = "kd_dev"
KADUN_DEVICE_COOKIE_DAYS = 730
