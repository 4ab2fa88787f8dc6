"""Evidence sources: each app registers, in its own ``evidence.py``, how a row of its becomes an
evidence body. ``evidence.services.record`` writes the entry from that function when the fact is
made, and ``kadun evidence-check`` calls the same function on the row as it is now: a body that
no longer hashes to the logged content hash is a row changed after the fact; a row without an
entry is a fact the log missed.

A source function takes the row and returns ``Fact`` (kind, subject, actor, body). Personal data
(IP, contact, free text an account closure erases) goes into the body only through
``evidence.privacy`` helpers (keyed hashes / redaction), so anonymising keeps every proof valid.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fact:
    kind: str
    subject_type: str
    subject_id: int
    actor_role: str
    actor_id: int | None
    body: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    name: str  # "orders.event", "inventory.reveal" …
    model: str  # "orders.OrderEvent": app_label.ModelName, for evidence-check
    fact: Callable[[object], Fact]
    # rows of the model that are facts (None: all); evidence-check looks for those without entries
    covers: Callable[[object], object] | None = None


SOURCES: dict[str, Source] = {}


def source(name: str, *, model: str, covers=None):
    def register(fn: Callable[[object], Fact]):
        SOURCES[name] = Source(name=name, model=model, fact=fn, covers=covers)
        return fn

    return register
