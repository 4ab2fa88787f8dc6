"""What a runaway disposal's refunds were paid from, read from the ledger postings of their
refund entries (and the 先行赔付 debt entries booked with them)."""
from __future__ import annotations

from django.db.models import Sum

from kadun.ledger.models import Posting

# account kind -> source name in the report (the order of KADUN_RUNAWAY_REFUND_SOURCES, plus the
# platform fee the platform gives back on a full refund).
SOURCES = {"escrow": "escrow", "fees": "platform_fee", "pending": "pending", "available": "available",
           "deposit": "deposit", "insurance_pool": "insurance_pool", "advance": "advance"}


def refund_sources(*, idempotency_keys: list[str]) -> dict[int, dict[str, int]]:
    """{order id: {source: 分 paid from it}} for the refund entries with these keys (the money
    leaving each source is the negative of its posting)."""
    out: dict[int, dict[str, int]] = {}
    for start in range(0, len(idempotency_keys), 5000):
        chunk = idempotency_keys[start:start + 5000]
        rows = (
            Posting.objects.filter(entry__idempotency_key__in=chunk, entry__kind="refund", account__kind__in=list(SOURCES))
            .values("entry__ref_id", "account__kind").annotate(s=Sum("amount"))
        )
        for row in rows:
            if row["s"]:
                out.setdefault(row["entry__ref_id"], {})[SOURCES[row["account__kind"]]] = -row["s"]
    return out
