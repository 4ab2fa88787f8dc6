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
    # A row that may be a fact more than once (a deadline re-armed and fired again): each firing
    # is logged; the row is checked against its latest entry, and a row that is no fact now
    # (re-armed, not yet fired again) is not "changed".
    refires: bool = False
    # Related rows evidence-check reads with each row (``select_related``), so ``fact`` costs no query.
    related: tuple[str, ...] = ()
    # For attachments: the stored file's bytes (None if no file is found), which must still hash
    # to the logged body's ``sha256``.
    file_of: Callable[[object], bytes | None] | None = None


SOURCES: dict[str, Source] = {}


def source(name: str, *, model: str, covers=None, refires: bool = False, related: tuple[str, ...] = (), file_of=None):
    """``covers``: a callable returning the ``Q`` of the model's rows that are facts (None: all)."""
    def register(fn: Callable[[object], Fact]):
        SOURCES[name] = Source(name=name, model=model, fact=fn, covers=covers, refires=refires, related=related, file_of=file_of)
        return fn

    return register
