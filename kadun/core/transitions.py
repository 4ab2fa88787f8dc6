"""Conditional state changes: one row moves from an allowed state, or InvalidTransition."""
from __future__ import annotations

from collections.abc import Iterable

from kadun.core.errors import InvalidTransition


def transition(model, *, pk, field: str = "status", from_states: Iterable[str], to: str, error: InvalidTransition | None = None, **changes) -> None:
    """``UPDATE ... SET status=to WHERE pk=... AND status IN from_states``; exactly one row or raise.

    Must run inside ``transaction.atomic`` together with the event row and ledger entry.
    """
    updated = model.objects.filter(pk=pk, **{f"{field}__in": list(from_states)}).update(**{field: to}, **changes)
    if updated != 1:
        raise error or InvalidTransition()
