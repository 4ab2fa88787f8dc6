"""Deadlines' facts in the evidence log: each firing — which deadline, for what, when it was due,
when it fired and what it did (done / noop / failed, or the batch handler's outcome). A deadline
re-armed and fired again (auto-confirm after a refund hold) is logged at each firing."""
from __future__ import annotations

from django.db.models import Q

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


@source("deadlines.firing", model="deadlines.Deadline", covers=lambda: Q(fired_at__isnull=False), refires=True)
def deadline_fired(deadline) -> Fact:
    return Fact(
        kind="deadline.fired", subject_type="deadline", subject_id=deadline.pk, actor_role="system", actor_id=None,
        body={
            "deadline": deadline.pk, "deadline_kind": deadline.kind, "subject": deadline.subject_id,
            "due_at": privacy.iso(deadline.due_at), "fired_at": privacy.iso(deadline.fired_at), "outcome": deadline.outcome,
        },
    )
