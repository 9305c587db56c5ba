"""Call lifecycle: answer, relay turns, handoff, end. Everything here writes to the database.

Webhooks call these after checking Twilio's signature; the ConversationRelay consumer calls
them through `database_sync_to_async`. Each takes the organization explicitly and is safe
to run twice for the same Twilio event (Twilio retries webhooks).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from agents.models import Agent, AgentVersion, Channel, Conversation, Message
from agents.selectors import agent_published_version
from agents.services.conversations import (
    contact_get_or_create,
    conversation_open,
    message_mark_sent,
    message_receive,
)
from billing.services.wallet import wallet_has_funds
from channels_app.models import ChannelConnection
from channels_app.twilio.signatures import public_url
from channels_app.twilio.twiml import apology_twiml, dial_twiml, gather_twiml, hangup_twiml, relay_twiml
from channels_app.voice.config import APOLOGIES, GOODBYES, VoiceSettings, line, locale_for
from channels_app.voice.models import Call
from channels_app.voice.relay_tokens import relay_token_sign, relay_url
from channels_app.voice.selectors import call_voice_settings, reply_for_prompt, voice_settings_for

logger = logging.getLogger(__name__)

# Names of the custom <Parameter>s Twilio echoes back in the relay's `setup` message.
PARAM_CONNECTION = "connection"
PARAM_SESSION = "session"


def _unavailable_reason(organization: Organization, agent: Agent, version: AgentVersion | None) -> str:
    if organization.is_suspended:
        return "suspended"
    if version is None or agent.status == Agent.Status.ARCHIVED:
        return "no_agent"
    if not wallet_has_funds(organization=organization):
        return "no_funds"
    return ""


def _call_get_or_create(organization: Organization, call_sid: str, **fields: Any) -> Call | None:
    """The organization's call with this CallSid, created if new. None when the CallSid is
    already another organization's call (CallSids are unique platform-wide)."""
    lookup = {"organization": organization, "call_sid": call_sid}
    existing = Call.unscoped.filter(**lookup).first()  # tenant-bypass: organization in the lookup
    if existing is not None:
        return existing
    try:
        return Call.unscoped.create(**lookup, **fields)  # tenant-bypass: organization in the lookup
    except IntegrityError:  # the same webhook retried concurrently, or another tenant's CallSid
        return Call.unscoped.filter(**lookup).first()  # tenant-bypass: as above


def _open_conversation(organization: Organization, call: Call, agent: Agent, settings: VoiceSettings) -> Conversation:
    contact = contact_get_or_create(
        organization=organization, channel=Channel.VOICE, external_id=call.from_number or "anonymous"
    )
    conversation = conversation_open(
        organization=organization,
        agent=agent,
        channel=Channel.VOICE,
        contact=contact,
        metadata={"call_sid": call.call_sid, "from": call.from_number, "to": call.to_number},
        reuse=False,  # every call is its own conversation
    )
    # The greeting is part of what the caller hears: keep it in the transcript (and history).
    greeting = Message.unscoped.create(  # tenant-bypass: organization set explicitly
        organization=organization,
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content=settings.greeting,
        metadata={"greeting": True, "call_sid": call.call_sid},
    )
    call.conversation = conversation
    call.metadata = {**call.metadata, "greeting_message_id": str(greeting.pk)}
    call.save(update_fields=["conversation", "metadata"])
    return conversation


def gather_action_url(*, turn: int) -> str:
    return public_url(reverse("voice:gather") + "?" + urlencode({"turn": turn}))


def call_answer(*, connection: ChannelConnection | None, call_sid: str, from_number: str, to_number: str) -> str:
    """TwiML for an incoming call: the agent over ConversationRelay (or Gather), else an apology.

    Records the call (idempotent on CallSid), opens its conversation and stores the
    greeting. A suspended organization, an empty wallet, an unpublished agent or an
    unknown number get a spoken apology in the agent's language and a hang-up.
    """
    if connection is None:
        return apology_twiml(text=APOLOGIES["es"], language=locale_for("es"))
    organization = connection.organization
    agent = connection.agent
    version = agent_published_version(agent=agent) if agent.published_version_id else None
    settings = voice_settings_for(connection=connection, version=version, agent=agent)
    call = _call_get_or_create(
        organization,
        call_sid,
        connection=connection,
        agent=agent,
        from_number=from_number,
        to_number=to_number,
        language=settings.language,
        mode=settings.mode,
    )
    if call is None:
        logger.warning("Incoming call %s to %s: CallSid belongs to another organization", call_sid, connection.pk)
        return apology_twiml(
            text=line(APOLOGIES, settings.language), language=settings.language, voice=settings.say_voice
        )
    reason = _unavailable_reason(organization, agent, version)
    if reason:
        Call.unscoped.filter(pk=call.pk).update(  # tenant-bypass: call fetched for this organization
            outcome=Call.Outcome.UNAVAILABLE, unavailable_reason=reason
        )
        text = connection.unavailable_message or line(APOLOGIES, settings.language)
        return apology_twiml(text=text, language=settings.language, voice=settings.say_voice)
    if call.conversation_id is None:
        _open_conversation(organization, call, agent, settings)
    if settings.mode == "gather":
        if call.answered_at is None:
            call.status, call.answered_at = Call.Status.IN_PROGRESS, timezone.now()
            call.save(update_fields=["status", "answered_at"])
        return gather_twiml(
            text=settings.greeting,
            action_url=gather_action_url(turn=1),
            settings=settings,
            goodbye=line(GOODBYES, settings.language),
        )
    token = relay_token_sign(connection_id=str(connection.pk), call_sid=call.call_sid)
    return relay_twiml(
        settings=settings,
        relay_url=relay_url(token),
        action_url=public_url(reverse("voice:relay_action")),
        parameters={PARAM_CONNECTION: str(connection.pk), PARAM_SESSION: token},
    )


# --- during the call -------------------------------------------------------------------------


def call_relay_start(*, organization: Organization, call: Call, session_id: str, setup: dict[str, Any]) -> Call:
    """The relay socket said `setup`: the caller is now talking to the agent."""
    call.session_id = str(session_id or "")[:64]
    call.status = Call.Status.IN_PROGRESS
    call.answered_at = call.answered_at or timezone.now()
    details = {
        key: setup.get(key) for key in ("callerName", "direction", "callType", "forwardedFrom") if setup.get(key)
    }
    call.metadata = {**call.metadata, "setup": details}
    call.save(update_fields=["session_id", "status", "answered_at", "metadata"])
    return call


def call_prompt_receive(
    *,
    organization: Organization,
    call: Call,
    text: str,
    received_at: datetime,
    language: str = "",
    external_id: str | None = None,
) -> Message | None:
    """Store what the caller said (a final transcript). None if `external_id` was seen before."""
    assert call.conversation is not None
    return message_receive(
        organization=organization,
        conversation=call.conversation,
        text=text,
        external_id=external_id,
        received_at=received_at,
        metadata={"call_sid": call.call_sid, **({"lang": language} if language else {})},
    )


def _ms_since(start: datetime | None, end: datetime) -> int | None:
    return int((end - start).total_seconds() * 1000) if start else None


def call_turn_delivered(
    *, organization: Organization, message: Message, first_frame_at: datetime | None, last_frame_at: datetime
) -> Message:
    """The agent's reply has been handed to Twilio: record when its first and last frames left."""
    message.metadata = {
        **message.metadata,
        "first_text_frame_at": first_frame_at.isoformat() if first_frame_at else None,
        "voice_ms": {
            "first_text_frame": _ms_since(message.received_at, first_frame_at) if first_frame_at else None,
            "last_text_frame": _ms_since(message.received_at, last_frame_at),
        },
    }
    message.save(update_fields=["metadata"])
    return message_mark_sent(organization=organization, message=message, at=last_frame_at)


def call_reply_interrupted(
    *,
    organization: Organization,
    call: Call,
    heard_text: str,
    message_id: str = "",
    reply_to_id: str = "",
    duration_ms: int | None = None,
    first_frame_at: datetime | None = None,
) -> Message | None:
    """The caller talked over the agent: keep only what they actually heard.

    The reply (found by id, or as the reply to `reply_to_id` when the engine saved a
    partial) gets `heard_text` as its content; what was generated is kept in metadata.
    """
    if message_id:
        message = Message.unscoped.filter(  # tenant-bypass: organization in the lookup
            organization=organization, pk=message_id
        ).first()
    else:
        message = reply_for_prompt(
            organization=organization, conversation_id=call.conversation_id, prompt_id=reply_to_id
        )
    if message is None:
        logger.warning("Interrupt on call %s: no reply to update", call.call_sid)
        return None
    metadata = {
        **message.metadata,
        "interrupted": True,
        "generated": message.metadata.get("generated", message.content),
    }
    if duration_ms is not None:
        metadata["heard_ms"] = duration_ms
    if first_frame_at is not None and "first_text_frame_at" not in metadata:
        metadata["first_text_frame_at"] = first_frame_at.isoformat()
        metadata["voice_ms"] = {"first_text_frame": _ms_since(message.received_at, first_frame_at)}
    message.content = heard_text
    message.metadata = metadata
    message.save(update_fields=["content", "metadata"])
    return message


def call_handoff_request(*, organization: Organization, call: Call, number: str, reason: str, source: str) -> Call:
    """Mark the call as transferred. The relay's action callback dials `number` from here,
    never from the (model-influenced) handoff data."""
    call.handoff_number = number
    call.handoff_reason = reason[:300]
    call.handoff_source = source
    call.handoff_requested_at = timezone.now()
    call.outcome = Call.Outcome.HANDOFF
    call.save(update_fields=["handoff_number", "handoff_reason", "handoff_source", "handoff_requested_at", "outcome"])
    return call


def call_relay_error(*, organization: Organization, call: Call, description: str) -> None:
    calls = Call.unscoped.filter(organization=organization)  # tenant-bypass: organization in the lookup
    calls.filter(pk=call.pk).update(error=description[:500])


def handoff_data(*, reason: str, number: str, source: str) -> str:
    """The `end` message's handoffData: a JSON string Twilio posts back as HandoffData."""
    return json.dumps({"reason": "handoff", "detail": reason, "number": number, "source": source})


def _parse_handoff(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def call_relay_ended(
    *,
    organization: Organization,
    call: Call,
    session_status: str,
    session_duration: str = "",
    handoff_data_raw: str = "",
    error: str = "",
) -> str:
    """The <Connect> action callback: dial the person on a handoff, otherwise say goodbye."""
    settings = call_voice_settings(call=call)
    call.session_status = session_status[:16]
    if session_duration.isdecimal():
        call.metadata = {**call.metadata, "session_duration": int(session_duration)}
    if error:
        call.error = error[:500]
    wants_handoff = _parse_handoff(handoff_data_raw).get("reason") == "handoff" or call.outcome == Call.Outcome.HANDOFF
    fields = ["session_status", "metadata", "error"]
    if wants_handoff and call.handoff_number:
        call.save(update_fields=fields)
        return dial_twiml(number=call.handoff_number)
    if session_status == "failed" and call.outcome in (Call.Outcome.ONGOING, ""):
        call.outcome = Call.Outcome.FAILED
        fields.append("outcome")
        call.save(update_fields=fields)
        return apology_twiml(
            text=line(APOLOGIES, settings.language), language=settings.language, voice=settings.say_voice
        )
    call.save(update_fields=fields)
    return hangup_twiml(text=line(GOODBYES, settings.language), language=settings.language, voice=settings.say_voice)


def call_status_update(
    *, organization: Organization, call: Call, status: str, duration: str = "", error: str = ""
) -> Call:
    """Twilio's call status callback: final status, billable duration and outcome.

    Idempotent and monotonic: once a call is final, later (retried or out-of-order)
    callbacks change nothing.
    """
    if call.is_final or status not in Call.Status.values:
        return call
    call.status = status
    fields = ["status"]
    if status in Call.FINAL_STATUSES:
        call.ended_at = timezone.now()
        call.duration_seconds = int(duration) if duration.isdecimal() else 0
        fields += ["ended_at", "duration_seconds"]
        if not call.outcome:
            call.outcome = Call.Outcome.COMPLETED if status == Call.Status.COMPLETED else Call.Outcome.FAILED
            fields.append("outcome")
        if error:
            call.error = error[:500]
            fields.append("error")
        if call.conversation_id:
            conversations = Conversation.unscoped.filter(organization=organization)  # tenant-bypass: org in lookup
            conversations.filter(pk=call.conversation_id).update(status=Conversation.Status.CLOSED)
    call.save(update_fields=fields)
    return call
