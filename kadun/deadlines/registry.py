"""Deadline kinds. Each app registers its handlers in its own ``deadlines.py``.

A handler takes the subject id, re-checks the state, calls the same service a person would call,
and returns a short outcome ("done" or "noop"). It runs inside the sweeper's transaction.

A kind that fires in bulk (one per order: expiry, auto-confirm, settlement) may also register a
batch handler: it takes many subject ids, writes the same rows the single handler would for each
in a few set-based statements, and returns each subject's outcome. If it raises, the sweeper
rolls the batch back and fires those deadlines one by one with the single handler.
"""
from __future__ import annotations

from collections.abc import Callable

HANDLERS: dict[str, Callable[[int], str]] = {}
# Duties: work the worker loop does every round besides deadlines (e.g. the credit score's
# recompute of shops marked dirty). Each returns how much it did (0: nothing due).
DUTIES: list[Callable[[], int]] = []
BATCH_HANDLERS: dict[str, Callable[[list[int]], dict[int, str]]] = {}


def handler(kind: str):
    def register(fn: Callable[[int], str]):
        HANDLERS[kind] = fn
        return fn

    return register


def batch_handler(kind: str):
    def register(fn: Callable[[list[int]], dict[int, str]]):
        BATCH_HANDLERS[kind] = fn
        return fn

    return register


def duty(fn: Callable[[], int]):
    DUTIES.append(fn)
    return fn


def duties_run() -> int:
    return sum(fn() for fn in DUTIES)
