"""Evidence log settings (docs/evidence.md publishes them)."""
from __future__ import annotations

import os

# The sequencer integrates every committed entry within this many seconds (CT's maximum merge delay).
KADUN_EVIDENCE_MERGE_DELAY_SECONDS = int(os.environ.get("KADUN_EVIDENCE_MERGE_DELAY_SECONDS", "60"))

# Who the platform is, as the complaint dossier (投诉材料) names it. Demo values: set the real ones.
KADUN_PLATFORM_LEGAL_NAME = os.environ.get("KADUN_PLATFORM_LEGAL_NAME", "卡盾演示平台（示例主体，非真实公司）")
KADUN_PLATFORM_ADDRESS = os.environ.get("KADUN_PLATFORM_ADDRESS", "（演示）上海市浦东新区示例路 1 号")
KADUN_PLATFORM_CONTACT = os.environ.get("KADUN_PLATFORM_CONTACT", "support@kadun.example · 400-000-0000（演示）")
KADUN_PLATFORM_ICP = os.environ.get("KADUN_PLATFORM_ICP", "沪ICP备00000000号（演示）")
# The dossier's CJK font (a TTF/OTF fpdf2 embeds); empty: Noto Sans SC from the pinned
# pylopdf-fonts-zh-cn package, installed with kadun.
KADUN_DOSSIER_FONT = os.environ.get("KADUN_DOSSIER_FONT", "")
