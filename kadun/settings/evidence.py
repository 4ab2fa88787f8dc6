"""Evidence log settings (docs/evidence.md publishes them)."""
from __future__ import annotations

import os

# The sequencer integrates every committed entry within this many seconds (CT's maximum merge delay).
KADUN_EVIDENCE_MERGE_DELAY_SECONDS = int(os.environ.get("KADUN_EVIDENCE_MERGE_DELAY_SECONDS", "60"))
