"""The public URLs Twilio must call, built from PUBLIC_BASE_URL (what Twilio signs)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from channels_app.models import ChannelConnection
from channels_app.twilio.signatures import public_url

MESSAGING_URL_NAMES = {"incoming_message": "twilio-messaging-inbound", "status_callback": "twilio-messaging-status"}
# The voice feature's webhooks (channels_app/voice/urls.py); a name that does not resolve is left out.
VOICE_URL_NAMES = {"incoming_call": "voice:incoming", "status_callback": "voice:status"}


def _resolved(names: dict[str, str]) -> dict[str, str]:
    urls = {}
    for label, url_name in names.items():
        try:
            urls[label] = public_url(reverse(url_name))
        except NoReverseMatch:
            continue
    return urls


def webhook_urls_for(*, kind: str) -> dict[str, str]:
    """What to paste into the Twilio console for a number of this kind."""
    if kind == ChannelConnection.Kind.VOICE:
        return _resolved(VOICE_URL_NAMES)
    return _resolved(MESSAGING_URL_NAMES)


def all_webhook_urls() -> dict[str, dict[str, str]]:
    """Per channel family, for a Twilio account (shared by all its numbers)."""
    return {"messaging": _resolved(MESSAGING_URL_NAMES), "voice": _resolved(VOICE_URL_NAMES)}


def messaging_status_callback_url() -> str:
    return public_url(reverse(MESSAGING_URL_NAMES["status_callback"]))
