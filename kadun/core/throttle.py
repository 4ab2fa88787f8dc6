"""Rate limits inside services, so a page and the API share one budget.

Built on django-ratelimit's counters (the default cache: the database, or Redis when configured,
shared by every web process). A limit is a group, a key (an order, a shop, a buyer) and a rate
such as ``"10/h"``; each call counts one attempt and raises ``RateLimited`` (429) past the rate,
with a Chinese message saying when to try again.
"""
from __future__ import annotations

import math

from django_ratelimit.core import get_usage

from kadun.core.errors import RateLimited


def throttle(*, group: str, key: str, rate: str, message: str) -> None:
    """Count one attempt for ``key`` in ``group``; past ``rate``, raise ``RateLimited``.

    ``message`` may use ``{limit}`` and ``{minutes}`` (minutes until the window ends)."""
    if not rate:
        return
    usage = get_usage(None, group=group, key=lambda _group, _request: key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return
    seconds = max(usage["time_left"], 1)
    raise RateLimited(
        message=message.format(limit=usage["limit"], minutes=max(1, math.ceil(seconds / 60))), retry_after=seconds
    )
