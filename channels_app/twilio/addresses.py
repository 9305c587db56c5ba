"""How Twilio writes senders and recipients: `+34600111222`, `whatsapp:+34600111222`."""

from __future__ import annotations

import re

WHATSAPP = "whatsapp"
WHATSAPP_PREFIX = f"{WHATSAPP}:"
# E.164: "+", then 8 to 15 digits, the first not 0.
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def is_e164(value: str) -> bool:
    return bool(E164.match(value))


def split_channel_prefix(value: str) -> tuple[str, str]:
    """("whatsapp", "+34600111222") for "whatsapp:+34600111222"; ("", number) for a plain number."""
    value = (value or "").strip()
    prefix, separator, number = value.partition(":")
    if not separator:
        return "", value
    return prefix.lower(), number.strip()
