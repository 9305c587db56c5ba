"""Channels auth middleware of the widget socket: token, origin, session, limits, tenant scope.

The socket is refused before the consumer exists unless `?token=` is a valid unexpired
session token, the page's `Origin` is the one the token was issued to (and still allowed by
the key), the session is live on an enabled key of an active organization, and the
connection limits have room. A refused socket is accepted and closed at once with the
contract's code (4401 token, 4403 forbidden, 4429 too many connections): a handshake
refused with HTTP 403 would reach the browser as code 1006, and the widget could not tell
"get a new token" from "this chat has ended". Then the consumer runs inside the
organization's tenant scope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from accounts.tenancy import tenant_scope
from channels_app.widget import protocol
from channels_app.widget.services.sessions import widget_socket_authenticate
from channels_app.widget.tokens import QUERY_PARAMETER

SCOPE_SESSION = "widget_session"
SCOPE_ORIGIN = "widget_origin"
SCOPE_IP = "widget_ip"


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


async def _refuse(receive: Any, send: Any, code: int) -> None:
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code})


class WidgetAuthMiddleware:
    def __init__(self, inner: Any):
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        query = scope.get("query_string", b"").decode("latin-1")
        token = (parse_qs(query).get(QUERY_PARAMETER) or [""])[0]
        origin = _header(scope, b"origin")
        ip = str((scope.get("client") or ["unknown"])[0])
        admission = await database_sync_to_async(widget_socket_authenticate)(token=token, origin=origin, ip=ip)
        if admission.session is None:
            await _refuse(receive, send, admission.close_code or protocol.CLOSE_FORBIDDEN)
            return None
        scope = {**scope, SCOPE_SESSION: admission.session, SCOPE_ORIGIN: admission.origin, SCOPE_IP: ip}
        with tenant_scope(admission.session.organization):
            return await self.inner(scope, receive, send)
