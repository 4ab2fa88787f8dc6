"""Deadline kinds. Each app registers its handlers in its own ``deadlines.py``.

A handler takes the subject id, re-checks the state, calls the same service a person would call,
and returns a short outcome ("done" or "noop"). It runs inside the sweeper's transaction.
"""
from __future__ import annotations

from collections.abc import Callable

HANDLERS: dict[str, Callable[[int], str]] = {}


def handler(kind: str):
    def register(fn: Callable[[int], str]):
        HANDLERS[kind] = fn
        return fn

    return register
