"""The agent side of a ConversationRelay session (Twilio's WebSocket protocol).

Twilio does speech recognition and synthesis; we turn each final transcript into a reply
streamed as `text` frames while the LLM produces it. Functions here produce the frames
to send; the consumer only moves them between the socket and these functions. Database
work goes through `database_sync_to_async`, the LLM through the engine's async stream,
so nothing blocks the event loop.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import Organization
from agents.services.conversations import conversation_reply_stream
from channels_app.twilio.client import credentials_for, twilio_auth_tokens_for
from channels_app.twilio.signatures import is_valid_signature
from channels_app.voice.config import TRANSFER_LINES, VoiceSettings, line
from channels_app.voice.models import Call
from channels_app.voice.relay_tokens import relay_token_verify
from channels_app.voice.selectors import call_for_sid, call_voice_settings
from channels_app.voice.services.calls import (
    PARAM_CONNECTION,
    PARAM_SESSION,
    call_handoff_request,
    call_prompt_receive,
    call_relay_error,
    call_relay_start,
    call_reply_interrupted,
    call_turn_delivered,
    handoff_data,
)

logger = logging.getLogger(__name__)

Frame = dict[str, Any]


@dataclass
class HeardTarget:
    """The reply the caller is hearing now: a saved message, or the one being generated."""

    message_id: str = ""
    reply_to_id: str = ""
    first_frame_at: datetime | None = None


@dataclass
class RelaySession:
    organization: Organization
    call: Call
    settings: VoiceSettings
    token: str = field(repr=False)  # a bearer credential for this call: keep it out of logs
    account_sid: str
    language: str
    started: bool = False
    ended: bool = False
    heard: HeardTarget | None = None


def relay_session_open(*, token: str, url: str, signature: str) -> RelaySession | None:
    """Authenticate a relay handshake; None (and no side effects) unless everything holds.

    The signed token must be valid and name a live call on its connection, and
    `X-Twilio-Signature` must match the URL for that connection's auth token (Twilio
    signs the WebSocket URL, query string included, with no body parameters).
    """
    claims = relay_token_verify(token)
    if claims is None:
        return None
    call = call_for_sid(call_sid=claims.call_sid)
    if (
        call is None
        or call.connection is None
        or not call.connection.is_active  # paused or suspended after the call was answered
        or call.organization.is_suspended
        or str(call.connection_id) != claims.connection_id
        or call.conversation is None
        or call.is_final
        or call.outcome == Call.Outcome.UNAVAILABLE
    ):
        return None
    if not is_valid_signature(
        auth_tokens=twilio_auth_tokens_for(call.connection), url=url, params={}, signature=signature
    ):
        return None
    settings = call_voice_settings(call=call)
    credentials = credentials_for(call.connection.twilio_account)
    greeting_id = str(call.metadata.get("greeting_message_id") or "")
    return RelaySession(
        organization=call.organization,
        call=call,
        settings=settings,
        token=token,
        account_sid=credentials.account_sid if credentials else "",
        language=settings.language,
        heard=HeardTarget(message_id=greeting_id) if greeting_id else None,
    )


def _same(value: Any, expected: str) -> bool:
    return hmac.compare_digest(str(value or "").encode(), expected.encode())


def relay_setup_valid(*, session: RelaySession, setup: dict[str, Any]) -> bool:
    """`setup` must echo our signed parameters and describe the call the token names."""
    parameters = setup.get("customParameters")
    if not isinstance(parameters, dict):
        return False
    return (
        _same(parameters.get(PARAM_SESSION), session.token)
        and _same(parameters.get(PARAM_CONNECTION), str(session.call.connection_id))
        and _same(setup.get("callSid"), session.call.call_sid)
        and (not session.account_sid or _same(setup.get("accountSid"), session.account_sid))
    )


async def relay_start(*, session: RelaySession, setup: dict[str, Any]) -> None:
    session.call = await database_sync_to_async(call_relay_start)(
        organization=session.organization, call=session.call, session_id=str(setup.get("sessionId") or ""), setup=setup
    )
    session.started = True


def text_frame(token: str, *, last: bool) -> Frame:
    return {"type": "text", "token": token, "last": last}


def relay_language_frame(*, session: RelaySession, spoken: str) -> Frame | None:
    """A `language` frame when the caller switched to another configured language."""
    if not session.settings.languages:
        return None
    code = session.settings.match_language(spoken)
    if code is None or code == session.language:
        return None
    session.language = code
    return {"type": "language", "ttsLanguage": code, "transcriptionLanguage": code}


async def relay_handoff(*, session: RelaySession, reason: str, source: str, announce: bool) -> AsyncIterator[Frame]:
    """Record the transfer, then end the session; the action callback dials the person."""
    number = session.settings.handoff_number
    session.call = await database_sync_to_async(call_handoff_request)(
        organization=session.organization, call=session.call, number=number, reason=reason, source=source
    )
    if announce:
        yield text_frame(line(TRANSFER_LINES, session.language), last=True)
    session.ended = True
    yield {"type": "end", "handoffData": handoff_data(reason=reason, number=number, source=source)}


async def relay_turn(*, session: RelaySession, text: str, received_at: datetime) -> AsyncIterator[Frame]:
    """One caller utterance → the agent's reply as `text` frames, streamed token by token.

    Stage timestamps land on the reply message: received (the prompt frame), LLM request,
    first token and last token (engine), first and last text frame (here, taken after the
    consumer has sent each frame: code after a `yield` runs once the frame is out). If the
    consumer stops iterating (interrupt, hang-up), the engine keeps the partial reply.
    """
    user_message = await database_sync_to_async(call_prompt_receive)(
        organization=session.organization,
        call=session.call,
        text=text,
        received_at=received_at,
        language=session.language,
    )
    if user_message is None:
        return
    first_frame_at: datetime | None = None
    conversation = session.call.conversation
    assert conversation is not None  # relay_session_open only admits calls with a conversation
    stream = conversation_reply_stream(
        organization=session.organization, conversation=conversation, user_message=user_message
    )
    try:
        async for event in stream:
            if event.type == "token" and event.text:
                yield text_frame(event.text, last=False)
                if first_frame_at is None:
                    first_frame_at = timezone.now()
                    session.heard = HeardTarget(reply_to_id=str(user_message.pk), first_frame_at=first_frame_at)
            elif event.type == "done" and event.message is not None:
                yield text_frame("", last=True)
                session.heard = HeardTarget(message_id=str(event.message.pk))
                await database_sync_to_async(call_turn_delivered)(
                    organization=session.organization,
                    message=event.message,
                    first_frame_at=first_frame_at,
                    last_frame_at=timezone.now(),
                )
                handoff = event.signals.get("handoff")
                if handoff and session.settings.handoff_enabled:
                    reason = str(handoff.get("reason", "")) if isinstance(handoff, dict) else ""
                    async for frame in relay_handoff(session=session, reason=reason, source="agent", announce=False):
                        yield frame
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def relay_interrupted(*, session: RelaySession, heard_text: str, duration_ms: int | None) -> None:
    """Store what the caller heard of the reply they talked over (call after cancelling the turn)."""
    target, session.heard = session.heard, None
    if target is None:
        return
    await database_sync_to_async(call_reply_interrupted)(
        organization=session.organization,
        call=session.call,
        heard_text=heard_text,
        message_id=target.message_id,
        reply_to_id=target.reply_to_id,
        duration_ms=duration_ms,
        first_frame_at=target.first_frame_at,
    )


async def relay_error(*, session: RelaySession, description: str) -> None:
    logger.warning("ConversationRelay error on call %s: %s", session.call.call_sid, description)
    await database_sync_to_async(call_relay_error)(
        organization=session.organization, call=session.call, description=description
    )
