"""Evidence log settings (docs/evidence.md publishes them)."""
from __future__ import annotations

import os

# The sequencer integrates every committed entry within this many seconds (CT's maximum merge delay).
KADUN_EVIDENCE_MERGE_DELAY_SECONDS = int(os.environ.get("KADUN_EVIDENCE_MERGE_DELAY_SECONDS", "60"))

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
