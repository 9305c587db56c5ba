"""The signed token that ties a ConversationRelay socket to the call we answered.

The incoming-call webhook puts it in the relay URL's query string (so the handshake can
find the connection, and with it the auth token that signed the handshake) and in a
`<Parameter>` (so `setup` can be checked against the same call). It is an HMAC over the
connection id and CallSid keyed by SECRET_KEY: nobody can forge one or guess another
call's, and it expires shortly after the call was answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

SALT = "voice.relay.session"
# Twilio opens the socket right after reading our TwiML; a token older than this is a replay.
MAX_AGE_SECONDS = 300
RELAY_PATH = "/ws/twilio/relay/"
QUERY_PARAMETER = "session"


@dataclass(frozen=True)
class RelayClaims:
    connection_id: str
    call_sid: str


def relay_token_sign(*, connection_id: str, call_sid: str) -> str:
    return signing.dumps({"c": connection_id, "s": call_sid}, salt=SALT)


def relay_token_verify(token: str) -> RelayClaims | None:
    """The claims of a valid, unexpired token; None for anything else."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not data.get("c") or not data.get("s"):
        return None
    return RelayClaims(connection_id=str(data["c"]), call_sid=str(data["s"]))


def websocket_base_url() -> str:
    """PUBLIC_BASE_URL with the WebSocket scheme: wss:// behind https, ws:// behind http."""
    base = settings.PUBLIC_BASE_URL
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    return "ws://" + base.removeprefix("http://")


def relay_url(token: str) -> str:
    """The URL Twilio connects to, exactly as it will sign it."""
    return websocket_base_url() + RELAY_PATH + "?" + urlencode({QUERY_PARAMETER: token})
