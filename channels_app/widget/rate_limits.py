"""Fixed-window counters in the Django cache (Redis in production, shared by every process).

`rate_limits_hit([(name, subject), ...])` counts one event against each named limit of
`config.RATE_LIMITS` and answers with the seconds until the caller may try again, or None
when every limit still has room.
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
    """Count one event per (limit name, subject); seconds to wait if any limit is exceeded."""
    now = time.time()
    retry_after: int | None = None
    for name, subject in hits:
        limit = config.rate_limit(name)
        start = int(now // limit.window) * limit.window
        count = _count(rate_limit_key(name=name, subject=subject, window_start=start), limit.window + 5)
        if count > limit.limit:
            wait = max(1, math.ceil(start + limit.window - now))
            retry_after = max(retry_after or 0, wait)
    return retry_after
