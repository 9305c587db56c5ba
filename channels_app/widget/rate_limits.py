"""Fixed-window counters in the Django cache (Redis in production, shared by every process).

`rate_limits_hit([(name, subject), ...])` counts one event against each named limit of
`config.RATE_LIMITS`, narrowest first, and answers with the seconds until the caller may
try again, or None when every limit still has room.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from django.core.cache import cache

from channels_app.widget import config

KEY_PREFIX = "widget:rl"


def rate_limit_key(*, name: str, subject: str, window_start: int) -> str:
    return f"{KEY_PREFIX}:{name}:{subject}:{window_start}"


def window_start_of(*, name: str, at: float) -> int:
    window = config.rate_limit(name).window
    return int(at // window) * window


def _count(key: str, timeout: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # first event of the window
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)  # another process started the window just now


def rate_limits_hit(hits: Iterable[tuple[str, str]]) -> int | None:
    """Count one event per (limit name, subject), narrowest first; seconds to wait if one is exceeded.

    Stops at the first exceeded limit: a refused event is not counted against the wider
    limits after it, so one client flooding past its own limit cannot use up the budget
    its organization shares with every other visitor.
    """
    now = time.time()
    for name, subject in hits:
        limit = config.rate_limit(name)
        start = int(now // limit.window) * limit.window
        count = _count(rate_limit_key(name=name, subject=subject, window_start=start), limit.window + 5)
        if count > limit.limit:
            return max(1, math.ceil(start + limit.window - now))
    return None
