"""The widget's WebSocket: visitor messages in, the agent's streamed reply out.

Thin protocol adapter over `services.sessions` and the agent engine. The auth middleware
has already admitted the socket and entered the tenant scope. Replies run in a task, one
turn at a time in arrival order, so `ping` and a revocation (`widget.close` from the
channel layer) are handled while tokens stream. If the visitor leaves mid-reply (page
navigation), the turn still finishes and is saved, and its final `message` frame goes to
the session's group, where the visitor's next socket receives it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from agents.models import Conversation, Message
from agents.services.conversations import AgentNotPublished, conversation_reply_stream
from channels_app.widget import config, protocol
from channels_app.widget.broadcast import broadcast_reply, key_group, session_group
from channels_app.widget.errors import SessionClosed, WidgetRateLimited, WidgetUnavailable
from channels_app.widget.middleware import SCOPE_IP, SCOPE_ORIGIN, SCOPE_SESSION
from channels_app.widget.models import WidgetSession
from channels_app.widget.services.sessions import (
    widget_message_accept,
    widget_reply_delivered,
    widget_session_ready,
)

logger = logging.getLogger(__name__)

# JSON may escape each character as \uXXXX; anything larger cannot be a valid message.
MAX_FRAME_CHARS = 6 * config.MAX_MESSAGE_CHARS + 1024

# Turns that outlive their socket (the visitor navigated away mid-reply) must not be
# garbage-collected before they finish and save the reply.
_running_turns: set[asyncio.Task[None]] = set()


def _is_utf8(value: str) -> bool:
    """False for lone surrogates ("\\ud800" in JSON): the database cannot store them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Turn:
    message: Message
    conversation: Conversation
    reply_to: str


class WidgetConsumer(AsyncWebsocketConsumer):
    session: WidgetSession
    is_open: bool = False
    worker: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        session = self.scope.get(SCOPE_SESSION)
        if session is None:  # only reachable when routed without the auth middleware
            await self.close(code=protocol.CLOSE_FORBIDDEN)
            return
        self.session = session
        self.organization = session.organization
        self.origin = self.scope[SCOPE_ORIGIN]
        self.ip = self.scope[SCOPE_IP]
        self.inbox: deque[Turn] = deque()
        self.joined = [session_group(session.pk), key_group(session.widget_key_id)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.is_open = True
        try:
            # Read after joining the groups: a revocation in between is seen here or broadcast to us.
            history = await database_sync_to_async(widget_session_ready)(
                organization=self.organization, session=session
            )
        except SessionClosed:
            await self._close(protocol.CLOSE_FORBIDDEN)
            return
        await self._send(
            {
                "type": "ready",
                "session_id": str(session.pk),
                "conversation_id": str(session.conversation_id) if session.conversation_id else None,
                "history": history,
            }
        )

    async def disconnect(self, code: int) -> None:
        self.is_open = False
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._error("bad_request", _("Send JSON text frames."))
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self._too_long()
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nesting
            content = None
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "message":
            await self._message(content)  # type: ignore[arg-type]
        else:
            await self._error("bad_request", _("Unknown frame."))

    async def _message(self, content: dict[str, Any]) -> None:
        text, client_id = content.get("text"), content.get("client_id")
        if client_id is not None and (
            not isinstance(client_id, str) or len(client_id) > protocol.MAX_CLIENT_ID_CHARS or not _is_utf8(client_id)
        ):
            await self._error("bad_request", _("Invalid client_id."))
            return
        if not isinstance(text, str) or not text.strip():
            await self._error("bad_request", _("The message is empty."), client_id=client_id)
            return
        if not _is_utf8(text):
            # Reuses a catalogued string; the widget shows its own text for bad_request anyway.
            await self._error("bad_request", _("Some fields are invalid."), client_id=client_id)
            return
        text = text.strip()
        if len(text) > config.max_message_chars():
            await self._too_long(client_id=client_id)
            return
        try:
            accepted = await database_sync_to_async(widget_message_accept)(
                organization=self.organization,
                session=self.session,
                origin=self.origin,
                text=text,
                client_id=client_id or None,
                ip=self.ip,
            )
        except SessionClosed:
            await self._close(protocol.CLOSE_FORBIDDEN)
            return
        except WidgetRateLimited as exc:
            await self._error("rate_limited", exc.message, retry_after=exc.retry_after, client_id=client_id)
            return
        except WidgetUnavailable as exc:
            await self._error("unavailable", exc.message, client_id=client_id)
            return
        await self._send({"type": "ack", "client_id": client_id, "message": protocol.message_payload(accepted.message)})
        if accepted.reply:
            turn = Turn(accepted.message, accepted.conversation, reply_to=client_id or str(accepted.message.pk))
            self.inbox.append(turn)
            if self.worker is None or self.worker.done():
                self.worker = asyncio.create_task(self._work())
                _running_turns.add(self.worker)
                self.worker.add_done_callback(_running_turns.discard)

    # --- replies ---------------------------------------------------------------------------

    async def _work(self) -> None:
        while self.inbox:
            turn = self.inbox.popleft()
            try:
                await self._reply(turn)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Widget reply failed in session %s", self.session.pk)
                await self._error("internal", _("Something went wrong. Please try again."))

    async def _reply(self, turn: Turn) -> None:
        await self._send({"type": "typing", "state": True})
        stream = conversation_reply_stream(
            organization=self.organization, conversation=turn.conversation, user_message=turn.message
        )
        reply: Message | None = None
        try:
            async for event in stream:
                if event.type == "token":
                    await self._send({"type": "token", "reply_to": turn.reply_to, "text": event.text})
                elif event.type == "done":
                    reply = event.message
        except AgentNotPublished:
            await self._error("unavailable", _("The assistant is unavailable right now. Please try again later."))
            return
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        if reply is None:
            return
        reply = await database_sync_to_async(widget_reply_delivered)(
            organization=self.organization, session=self.session, message=reply
        )
        frame = {"type": "message", "reply_to": turn.reply_to, "message": protocol.message_payload(reply)}
        await broadcast_reply(session_id=self.session.pk, frame=frame)

    # --- channel-layer events ----------------------------------------------------------------

    async def widget_reply(self, event: dict[str, Any]) -> None:
        await self._send(event["frame"])
        await self._send({"type": "typing", "state": False})

    async def widget_close(self, event: dict[str, Any]) -> None:
        self.inbox.clear()
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()  # the engine saves what was generated, marked interrupted
        await self._close(int(event.get("code") or protocol.CLOSE_FORBIDDEN))

    # --- sending -------------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        if self.is_open:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def _error(
        self, code: str, message: str, *, retry_after: int | None = None, client_id: str | None = None
    ) -> None:
        await self._send(protocol.error_frame(code, str(message), retry_after=retry_after, client_id=client_id))

    async def _too_long(self, *, client_id: str | None = None) -> None:
        limit = config.max_message_chars()
        message = _("Messages can be at most %(max)d characters.") % {"max": limit}
        await self._error("message_too_long", message, client_id=client_id)

    async def _close(self, code: int) -> None:
        if self.is_open:
            self.is_open = False
            await self.close(code=code)
