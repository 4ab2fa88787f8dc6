"""After-sales case rules: the deadlines of each stage and their default outcomes, per case kind,
and the platform's own SLA targets. docs/cases.md publishes them; kadun.cases applies them.

``KADUN_CASE_RULES`` (JSON in the environment) overrides any of these per kind, e.g.
``{"refund_dispute": {"merchant_reply_hours": 12}}``.
"""
from __future__ import annotations

import json
import os

_STAGES = {
    # awaiting_merchant: the merchant answers within merchant_reply_hours; after that the buyer
    # may ask for the platform at once, and at merchant_escalate_hours the case escalates itself.
    "merchant_reply_hours": 24,
    "merchant_escalate_hours": 48,
    # negotiating: a buyer silent on an offer for offer_answer_hours accepts it; a buyer who does
    # not answer the merchant (no offer open) for buyer_followup_hours lets the case close.
    "offer_answer_hours": 72,
    "buyer_followup_hours": 72,
    # platform_review: a side asked for evidence answers within evidence_hours, or is decided
    # against on what is at hand.
    "evidence_hours": 24,
    # decided: the decision takes effect when the appeal window closes (or on a waiver).
    "appeal_days": 3,
}

# SLA targets of the platform's staff, in minutes, per kind: first response after the case
# reaches the platform, and a decision (or answer, for an inquiry). "high" priority halves them.
_SLA = {
    "inquiry": {"first_response": 10, "resolution": 24 * 60},
    "refund_dispute": {"first_response": 30, "resolution": 24 * 60},
    "key_problem": {"first_response": 30, "resolution": 24 * 60},
    "service_dispute": {"first_response": 30, "resolution": 24 * 60},
    "complaint": {"first_response": 30, "resolution": 24 * 60},
}

KADUN_CASE_RULES = {kind: dict(_STAGES, sla=dict(targets)) for kind, targets in _SLA.items()}
for _kind, _over in json.loads(os.environ.get("KADUN_CASE_RULES", "{}") or "{}").items():
    if _kind in KADUN_CASE_RULES:
        KADUN_CASE_RULES[_kind].update({k: v for k, v in _over.items() if k != "sla"})
        KADUN_CASE_RULES[_kind]["sla"].update(_over.get("sla", {}))

# Staff working hours for the SLA clock ("09:00-21:00" in KADUN_SUPPORT_TZ), or empty: around the clock.
KADUN_SUPPORT_HOURS = os.environ.get("KADUN_SUPPORT_HOURS", "")
KADUN_SUPPORT_TZ = os.environ.get("KADUN_SUPPORT_TZ", "Asia/Shanghai")
# A buyer may open a case up to this many days after 确认收货.
KADUN_CASE_OPEN_DAYS_AFTER_CONFIRM = int(os.environ.get("KADUN_CASE_OPEN_DAYS_AFTER_CONFIRM", "15"))
KADUN_CASE_MESSAGES_PER_HOUR = int(os.environ.get("KADUN_CASE_MESSAGES_PER_HOUR", "60"))
