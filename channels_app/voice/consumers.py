"""Twilio ConversationRelay WebSocket: caller speech in, agent text out.

Thin protocol adapter. Twilio → us: `setup`, `prompt`, `interrupt`, `dtmf`, `error`.
Us → Twilio: `text` (tokens as the LLM streams them, `last: true` closes a reply),
`language`, `end` (with `handoffData`). A reply runs as its own task so an `interrupt`
is read while tokens are still streaming and cancels the reply at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from channels_app.voice.config import line
from channels_app.voice.middleware import CLOSE_FORBIDDEN, SCOPE_KEY
from channels_app.voice.services.relay import (
    Frame,
    RelaySession,
    relay_error,
    relay_handoff,
    relay_interrupted,
    relay_language_frame,
    relay_setup_valid,
    relay_start,
    relay_turn,
    text_frame,
)

logger = logging.getLogger(__name__)

SORRY = {
    "es": "Perdone, he tenido un problema. ¿Puede repetirlo?",
    "en": "Sorry, something went wrong. Could you say that again?",
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ConversationRelayConsumer(AsyncJsonWebsocketConsumer):
    session: RelaySession
    turn: asyncio.Task[None] | None = None

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def connect(self) -> None:
        session = self.scope.get(SCOPE_KEY)
        if session is None:  # only reachable when routed without the auth middleware
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.session = session
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self._cancel_turn()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if not self.session.started:
            # The first message must be a setup carrying our signed parameters for this call.
            if kind == "setup" and relay_setup_valid(session=self.session, setup=content):
                await relay_start(session=self.session, setup=content)
            else:
                await self.close(code=CLOSE_FORBIDDEN)
            return
        if self.session.ended:
            return
        if kind == "prompt":
            await self._prompt(content)
        elif kind == "interrupt":
            await self._interrupt(content)
        elif kind == "dtmf":
            await self._dtmf(content)
        elif kind == "error":
            await relay_error(session=self.session, description=str(content.get("description") or ""))

    async def _prompt(self, content: dict[str, Any]) -> None:
        received_at = timezone.now()
        if content.get("last") is not True:
            return  # a partial transcript: the caller is still talking
        text = str(content.get("voicePrompt") or "").strip()
        if not text:
            return
        await self._cancel_turn()  # a new utterance supersedes a reply still being generated
        if frame := relay_language_frame(session=self.session, spoken=str(content.get("lang") or "")):
            await self.send_json(frame)
        self._start(relay_turn(session=self.session, text=text, received_at=received_at))

    async def _interrupt(self, content: dict[str, Any]) -> None:
        await self._cancel_turn()
        await relay_interrupted(
            session=self.session,
            heard_text=str(content.get("utteranceUntilInterrupt") or ""),
            duration_ms=_int_or_none(content.get("durationUntilInterruptMs")),
        )

    async def _dtmf(self, content: dict[str, Any]) -> None:
        settings = self.session.settings
        digit = str(content.get("digit") or "")
        if settings.handoff_enabled and settings.handoff_digit and digit == settings.handoff_digit:
            await self._cancel_turn()
            self._start(relay_handoff(session=self.session, reason="keypad", source="dtmf", announce=True))

    # --- reply task ----------------------------------------------------------------------

    def _start(self, frames: AsyncIterator[Frame]) -> None:
        self.turn = asyncio.create_task(self._pump(frames))

    async def _pump(self, frames: AsyncIterator[Frame]) -> None:
        try:
            async for frame in frames:
                await self.send_json(frame)
        except asyncio.CancelledError:
            raise
        except Exception:  # the caller must hear something, not silence
            logger.exception("Relay turn failed on call %s", self.session.call.call_sid)
            await self.send_json(text_frame(line(SORRY, self.session.language), last=True))
        finally:
            await frames.aclose()  # type: ignore[attr-defined]

    async def _cancel_turn(self) -> None:
        """Stop the running reply now; returns once its partial text is saved."""
        turn, self.turn = self.turn, None
        if turn is None or turn.done():
            return
        turn.cancel()
        await asyncio.wait({turn})
