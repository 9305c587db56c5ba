"""Channels auth middleware for the ConversationRelay socket.

Checks the handshake before the consumer exists: the signed session token in the query
string names the call and its connection, and `X-Twilio-Signature` must match that
connection's auth token. Then the consumer runs inside the organization's tenant scope.
A failed check closes the socket with 4403 before accepting it, which the server turns
into a refused handshake (HTTP 403): nothing is written, no consumer runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from accounts.tenancy import tenant_scope
from channels_app.voice.relay_tokens import QUERY_PARAMETER, websocket_base_url
from channels_app.voice.services.relay import relay_session_open

CLOSE_FORBIDDEN = 4403
SCOPE_KEY = "relay_session"


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class TwilioRelayAuthMiddleware:
    def __init__(self, inner: Any):
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        query = scope.get("query_string", b"").decode("latin-1")
        token = (parse_qs(query).get(QUERY_PARAMETER) or [""])[0]
        url = websocket_base_url() + scope["path"] + (f"?{query}" if query else "")
        signature = _header(scope, b"x-twilio-signature")
        session = None
        if token and signature:
            session = await database_sync_to_async(relay_session_open)(token=token, url=url, signature=signature)
        if session is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": CLOSE_FORBIDDEN})
            return None
        with tenant_scope(session.organization):
            return await self.inner({**scope, SCOPE_KEY: session}, receive, send)
