"""Split a long reply into parts that fit one Twilio message, on natural boundaries."""

from __future__ import annotations

import re

from channels_app.models import ChannelConnection

# Twilio's Messages API refuses a Body over 1600 characters on every channel (error 21617),
# so WhatsApp's own 4096-character limit never applies through it.
TWILIO_BODY_LIMIT = 1600
CHANNEL_LIMITS = {ChannelConnection.Kind.SMS: 1600, ChannelConnection.Kind.WHATSAPP: 4096}

_SENTENCE_END = re.compile(r"[.!?…](?=\s)")


def body_limit(kind: str) -> int:
    return min(CHANNEL_LIMITS.get(kind, TWILIO_BODY_LIMIT), TWILIO_BODY_LIMIT)  # type: ignore[call-overload]


def _cut_point(window: str) -> int:
    """Where to end a part within `window`: the last paragraph, line, sentence or word
    break in its second half, else a hard cut (one very long word)."""
    floor = len(window) // 2
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        if index >= floor:
            return index
    sentence_ends = [match.end() for match in _SENTENCE_END.finditer(window) if match.end() >= floor]
    if sentence_ends:
        return sentence_ends[-1]
    index = window.rfind(" ")
    if index >= floor:
        return index
    return len(window)


def split_text(text: str, *, limit: int) -> list[str]:
    """Parts of at most `limit` characters, in order, none empty."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text[: limit + 1])
        cut = min(cut, limit)
        part = text[:cut].rstrip()
        if part:
            parts.append(part)
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts
