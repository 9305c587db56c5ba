"""Tunables of the web component, read from Django settings with the defaults below.

Each can be overridden in settings (no variable needed to run):

    WIDGET_TOKEN_TTL_SECONDS        Lifetime of a session token (the `?token=` of the socket).
                                    Checked when a socket connects; the widget fetches a new
                                    one when it has expired. Default 600.
    WIDGET_SESSION_ACTIVE_SECONDS   A session with activity this recent is "active" on the
                                    Sessions page. Default 1800.
    WIDGET_HISTORY_LIMIT            Messages restored in the `ready` frame. Default 50.
    WIDGET_MAX_MESSAGE_CHARS        Longest visitor message. Default 4000 (the widget's limit).
    WIDGET_RATE_LIMITS              {name: (limit, window seconds)}; any subset of RATE_LIMITS
                                    below. A fixed window per name and subject, counted in
                                    the Django cache (Redis in production).

Rate limit names: `session_ip` / `session_org` (POST /widget/v1/session/ per client IP and
per organization), `connect_ip` / `connect_session` (socket connections; over the limit the
socket closes with 4429), `message_ip` / `message_session` / `message_org` (visitor messages;
over the limit the message is refused with an `error` frame `rate_limited` + `retry_after`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

TOKEN_TTL_SECONDS = 600
SESSION_ACTIVE_SECONDS = 1800
HISTORY_LIMIT = 50
MAX_MESSAGE_CHARS = 4000

RATE_LIMITS: dict[str, tuple[int, int]] = {
    # Every page view of an embedding site fetches a session (for the theme), and offices
    # or mobile carriers put many visitors behind one IP: generous per IP.
    "session_ip": (120, 60),
    "session_org": (3000, 60),
    "connect_ip": (120, 60),
    "connect_session": (30, 60),
    # A person types far fewer than 10 messages a minute; scripts hit this first.
    "message_session": (10, 60),
    "message_ip": (40, 60),
    # Caps what one organization's widgets can spend on the LLM per minute.
    "message_org": (600, 60),
}


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int


def token_ttl_seconds() -> int:
    return int(getattr(settings, "WIDGET_TOKEN_TTL_SECONDS", TOKEN_TTL_SECONDS))


def session_active_seconds() -> int:
    return int(getattr(settings, "WIDGET_SESSION_ACTIVE_SECONDS", SESSION_ACTIVE_SECONDS))


def history_limit() -> int:
    return int(getattr(settings, "WIDGET_HISTORY_LIMIT", HISTORY_LIMIT))


def max_message_chars() -> int:
    return int(getattr(settings, "WIDGET_MAX_MESSAGE_CHARS", MAX_MESSAGE_CHARS))


def rate_limit(name: str) -> Limit:
    overrides = getattr(settings, "WIDGET_RATE_LIMITS", None) or {}
    limit, window = overrides.get(name, RATE_LIMITS[name])
    return Limit(name=name, limit=int(limit), window=int(window))
