"""Widget keys, sessions and live-socket helpers for the web component tests."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from django.core.cache import cache
from websockets.asyncio.client import ClientConnection, connect

from accounts.models import Organization
from accounts.tenancy import tenant_scope
from agents.models import Agent
from channels_app.widget import config
from channels_app.widget.models import WidgetKey, WidgetSession
from channels_app.widget.rate_limits import rate_limit_key, window_start_of
from channels_app.widget.services.keys import widget_key_create, widget_secret_get
from channels_app.widget.services.sessions import (
    SessionStart,
    widget_message_accept,
    widget_session_ready,
    widget_session_start,
)
from channels_app.widget.tokens import identity_hash
from tests.agents.factories import published_agent

SHOP = "https://shop.example.com"
SESSION_PATH = "/widget/v1/session/"


def widget_key(
    organization: Organization,
    *,
    agent: Agent | None = None,
    allowed_origins: list[str] | None = None,
    **fields: Any,
) -> WidgetKey:
    agent = agent or published_agent(organization, name=fields.pop("agent_name", "Recepción web"))
    fields.setdefault("name", "Tienda online")
    return widget_key_create(
        organization=organization,
        agent=agent,
        allowed_origins=allowed_origins if allowed_origins is not None else [SHOP],
        **fields,
    )


def start_session(
    key: WidgetKey,
    *,
    origin: str = SHOP,
    visitor_id: str | None = None,
    user_id: str | None = None,
    user_hash: str | None = None,
) -> SessionStart:
    """What `POST /widget/v1/session/` does, called in-process (for setup, not for the contract)."""
    organization = key.organization
    with tenant_scope(organization):
        return widget_session_start(
            organization=organization,
            widget_key=key,
            origin=origin,
            visitor_id=visitor_id,
            user_id=user_id,
            user_hash=user_hash,
            user_agent="pytest",
        )


def widget_session(organization: Organization, **kwargs: Any) -> WidgetSession:
    return start_session(widget_key(organization, **kwargs)).session


def visitor_says(session: WidgetSession, text: str, *, client_id: str | None = None) -> WidgetSession:
    """The visitor opens the chat and writes `text` (what the socket does, in-process)."""
    organization = session.organization
    with tenant_scope(organization):
        widget_session_ready(organization=organization, session=session)
        widget_message_accept(
            organization=organization, session=session, origin=session.origin, text=text, client_id=client_id, ip="-"
        )
    session.refresh_from_db()
    return session


def user_hash_for(organization: Organization, user_id: str) -> str:
    return identity_hash(secret=str(widget_secret_get(organization=organization).secret), user_id=user_id)


def reset_ip_rate_limits(ip: str = "127.0.0.1") -> None:
    """Every test client is 127.0.0.1: give each test fresh per-IP windows (per-session and
    per-organization windows are fresh anyway, their subjects are new objects)."""
    now = time.time()
    keys = []
    for name in ("session_ip", "connect_ip", "message_ip"):
        start = window_start_of(name=name, at=now)
        window = config.rate_limit(name).window
        keys += [rate_limit_key(name=name, subject=ip, window_start=start - offset) for offset in (0, window)]
    cache.delete_many(keys)


# --- live daphne helpers ---------------------------------------------------------------------


def post_session(base_url: str, body: dict[str, Any], *, origin: str | None = SHOP) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin
    return httpx.post(base_url + SESSION_PATH, content=json.dumps(body), headers=headers, timeout=10)


class Socket:
    """A widget socket as the browser opens it (same Origin), with frame helpers."""

    def __init__(self, connection: ClientConnection):
        self.connection = connection

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def frame(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def until(self, kind: str, timeout: float = 15) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Frames up to and including the first of type `kind` (returned first), and all seen."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.frame(timeout=max(0.1, deadline - time.monotonic()))
            seen.append(frame)
            if frame.get("type") == kind:
                return frame, seen

    async def close_code(self, timeout: float = 10) -> int | None:
        """Wait for the server to close; the close code it sent."""
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout)
        except Exception:  # noqa: BLE001 - ConnectionClosed, or a timeout that the assertion reports
            pass
        return self.connection.close_code


def open_socket(ws_url: str, *, origin: str = SHOP) -> Any:
    return connect(ws_url, origin=origin, open_timeout=10, close_timeout=2)  # type: ignore[arg-type]
