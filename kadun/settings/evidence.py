"""Evidence log settings (docs/evidence.md publishes them)."""
from __future__ import annotations

import os

# The sequencer integrates every committed entry within this many seconds (CT's maximum merge delay).
KADUN_EVIDENCE_MERGE_DELAY_SECONDS = int(os.environ.get("KADUN_EVIDENCE_MERGE_DELAY_SECONDS", "60"))
# The log's name, in every signed message (docs/evidence.md, "Heads and keys").
KADUN_EVIDENCE_LOG_ID = os.environ.get("KADUN_EVIDENCE_LOG_ID", "kadun")
# A new signed tree head at most this often while entries come in (and sooner when the oldest
# entry not yet under a head has waited half the merge delay, so the delay is kept).
KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS = int(os.environ.get("KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS", "60"))
# The sequencer's step: at most this many entries per transaction.
KADUN_EVIDENCE_INTEGRATE_BATCH = int(os.environ.get("KADUN_EVIDENCE_INTEGRATE_BATCH", "2000"))
# A hole in the entry ids (a lower id not yet visible while a higher one is) is waited for at
# least GRACE seconds; on PostgreSQL until every transaction running when it was seen has ended,
# at most MAX seconds; then it is taken for a rolled-back id (docs/evidence.md, "The sequencer").
KADUN_EVIDENCE_GAP_GRACE_SECONDS = float(os.environ.get("KADUN_EVIDENCE_GAP_GRACE_SECONDS", "2"))
KADUN_EVIDENCE_GAP_MAX_SECONDS = float(os.environ.get("KADUN_EVIDENCE_GAP_MAX_SECONDS", "20"))
# RFC 3161: a time-stamping authority's URL to stamp each head with (off when empty).
KADUN_EVIDENCE_TSA_URL = os.environ.get("KADUN_EVIDENCE_TSA_URL", "")
KADUN_EVIDENCE_TSA_TIMEOUT_SECONDS = float(os.environ.get("KADUN_EVIDENCE_TSA_TIMEOUT_SECONDS", "10"))
# The public /transparency/ JSON: requests per client address per minute.
KADUN_TRANSPARENCY_RATE = os.environ.get("KADUN_TRANSPARENCY_RATE", "600/m")

# Who the platform is, as the complaint dossier (投诉材料) names it. Demo values: set the real ones.
KADUN_PLATFORM_LEGAL_NAME = os.environ.get("KADUN_PLATFORM_LEGAL_NAME", "卡盾演示平台（示例主体，非真实公司）")
KADUN_PLATFORM_ADDRESS = os.environ.get("KADUN_PLATFORM_ADDRESS", "（演示）上海市浦东新区示例路 1 号")
KADUN_PLATFORM_CONTACT = os.environ.get("KADUN_PLATFORM_CONTACT", "support@kadun.example · 400-000-0000（演示）")
KADUN_PLATFORM_ICP = os.environ.get("KADUN_PLATFORM_ICP", "沪ICP备00000000号（演示）")
# The dossier's CJK font (a TTF/OTF fpdf2 embeds); empty: Noto Sans SC from the pinned
# pylopdf-fonts-zh-cn package, installed with kadun.
KADUN_DOSSIER_FONT = os.environ.get("KADUN_DOSSIER_FONT", "")

# --- Public complaints (曝光), docs/evidence.md "Public complaints" ---------------------------
# Amount bands (分): an order's amount and the refunded amount are published only as a band.
KADUN_COMPLAINT_AMOUNT_BANDS = (5000, 20000, 100000)  # ¥0–50, ¥50–200, ¥200–1000, over ¥1000
KADUN_COMPLAINT_STATEMENT_MIN = 10
KADUN_COMPLAINT_STATEMENT_MAX = int(os.environ.get("KADUN_COMPLAINT_STATEMENT_MAX", "1000"))
KADUN_COMPLAINT_REPLY_MAX = int(os.environ.get("KADUN_COMPLAINT_REPLY_MAX", "1000"))
# The buyer may publish within this many days of the latest fact that made the order eligible.
KADUN_COMPLAINT_WINDOW_DAYS = int(os.environ.get("KADUN_COMPLAINT_WINDOW_DAYS", "180"))
# Where the public page sends readers to check a fact (evtree serves it) and an order's bundle
# (evbundle; shown only to the order's parties).
KADUN_EVIDENCE_ENTRY_URL = "/transparency/entries/{id}.json"
KADUN_EVIDENCE_ORDER_BUNDLE_URL = "/transparency/orders/{order_no}/bundle.json"
