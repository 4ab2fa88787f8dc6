from __future__ import annotations

from collections.abc import Callable

SENDERS: dict[str, Callable[[dict], None]] = {}


def sender(topic: str):
    def register(fn: Callable[[dict], None]):
        SENDERS[topic] = fn
        return fn

    return register
