"""The one clock. Timezone-aware UTC; tests and simulations move it with ``set_offset``."""
from __future__ import annotations

import datetime as dt
import threading

_lock = threading.Lock()
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + _offset


def advance(delta: dt.timedelta) -> None:
    global _offset
    with _lock:
        _offset += delta


def reset() -> None:
    global _offset
    with _lock:
        _offset = dt.timedelta(0)
