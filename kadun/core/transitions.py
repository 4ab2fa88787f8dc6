"""Conditional state changes: every guard a change depends on sits in the WHERE of its update.

A ``Transition`` names a change of one model: the states it may leave, the state it reaches (or
none, for a change that only stamps a column, like settlement), and the other conditions that
must hold at the moment of the update (``refund_hold = false``, ``settled_at IS NULL``). The
single path (one order, a person's request) and the batch path (the sweeper, hundreds of orders)
of a change apply the same ``Transition``, so they cannot drift apart.

A check read before the update is a race: two requests both read "allowed", both act. Here the
update itself re-checks, and on PostgreSQL a concurrent change of the row makes the update wait
and then re-evaluate its WHERE against the committed row.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from kadun.core.errors import InvalidTransition


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    to: str | None = None
    guard: dict = field(default_factory=dict)  # lookups: {"refund_hold": False, "settled_at__isnull": True}
    status_field: str = "status"

    def where(self, *, frm: str | None = None) -> dict:
        """The lookups of the update's WHERE. With ``frm`` (a state the caller read under its
        lock, for the event row) the update also insists the row is still in that state."""
        if frm is not None:
            if frm not in self.sources:
                return {f"{self.status_field}__in": []}  # matches nothing
            states = {self.status_field: frm}
        else:
            states = {f"{self.status_field}__in": list(self.sources)}
        return {**states, **self.guard}

    def q(self, *, frm: str | None = None) -> Q:
        return Q(**self.where(frm=frm))

    def changes(self, **more) -> dict:
        return ({self.status_field: self.to} if self.to is not None else {}) | more


def apply_one(model, transition: Transition, *, pk, frm: str | None = None, error: InvalidTransition | None = None, **changes) -> None:
    """``UPDATE … SET <to, changes> WHERE pk = … AND <sources and guards>``: one row, or raise
    (``error``, default ``InvalidTransition``). Run it inside ``transaction.atomic`` with the
    change's event row and ledger entry."""
    updated = model.objects.filter(pk=pk, **transition.where(frm=frm)).update(**transition.changes(**changes))
    if updated != 1:
        raise error or InvalidTransition()


def apply_many(model, transition: Transition, *, pks: Iterable, **changes) -> int:
    """The same update for many rows; returns how many moved (the caller locked them first and
    knows how many must)."""
    return model.objects.filter(pk__in=list(pks), **transition.where()).update(**transition.changes(**changes))


def transition(model, *, pk, field: str = "status", from_states: Iterable[str], to: str, error: InvalidTransition | None = None, **changes) -> None:
    """A one-off conditional move without guards beyond the state (kept for simple callers)."""
    apply_one(model, Transition(name=to, sources=tuple(from_states), to=to, status_field=field), pk=pk, error=error, **changes)
