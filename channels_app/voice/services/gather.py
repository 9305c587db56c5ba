"""Turn-by-turn calls for accounts without ConversationRelay: <Gather input="speech"> → agent
→ <Say> + the next <Gather>. Same engine and transcript as the streaming relay."""

from __future__ import annotations

from datetime import datetime

from channels.db import database_sync_to_async

from accounts.models import Organization
from agents.models import Message
from agents.services.conversations import conversation_reply_stream, message_mark_sent
from channels_app.twilio.twiml import dial_twiml, gather_twiml, hangup_twiml
from channels_app.voice.config import GOODBYES, NOT_UNDERSTOOD, TRANSFER_LINES, line
from channels_app.voice.models import Call
from channels_app.voice.selectors import call_voice_settings, reply_for_external_id
from channels_app.voice.services.calls import call_handoff_request, call_prompt_receive, gather_action_url


async def call_gather_reply(
    *, organization: Organization, call: Call, speech: str, digits: str, turn: int, received_at: datetime
) -> str:
    """TwiML answering one <Gather> result: the agent's reply and the next <Gather>.

    A retried request (same CallSid and turn) is answered with the reply already given,
    without a second LLM call. The handoff digit or the handoff tool dial the person.
    """
    settings = await database_sync_to_async(call_voice_settings)(call=call)
    goodbye = line(GOODBYES, settings.language)
    conversation = call.conversation
    if conversation is None or call.is_final:
        return hangup_twiml(text=goodbye, language=settings.language, voice=settings.say_voice)
    if settings.handoff_enabled and settings.handoff_digit and digits == settings.handoff_digit:
        await database_sync_to_async(call_handoff_request)(
            organization=organization, call=call, number=settings.handoff_number, reason="keypad", source="dtmf"
        )
        transfer = line(TRANSFER_LINES, settings.language)
        return dial_twiml(
            number=settings.handoff_number, text=transfer, language=settings.language, voice=settings.say_voice
        )
    next_url = gather_action_url(turn=turn + 1)
    speech = speech.strip()
    if not speech:
        return gather_twiml(
            text=line(NOT_UNDERSTOOD, settings.language), action_url=next_url, settings=settings, goodbye=goodbye
        )

    external_id = f"{call.call_sid}:gather:{turn}"
    user_message = await database_sync_to_async(call_prompt_receive)(
        organization=organization, call=call, text=speech, received_at=received_at, external_id=external_id
    )
    if user_message is None:  # Twilio retried this turn
        earlier = await database_sync_to_async(reply_for_external_id)(
            organization=organization, conversation_id=conversation.pk, external_id=external_id
        )
        text = earlier.content if earlier else line(NOT_UNDERSTOOD, settings.language)
        return gather_twiml(text=text, action_url=next_url, settings=settings, goodbye=goodbye)

    reply: Message | None = None
    signals: dict = {}
    async for event in conversation_reply_stream(
        organization=organization, conversation=conversation, user_message=user_message
    ):
        if event.type == "done":
            reply, signals = event.message, event.signals
    assert reply is not None
    await database_sync_to_async(message_mark_sent)(organization=organization, message=reply)
    if signals.get("handoff") and settings.handoff_enabled:
        handoff = signals["handoff"]
        await database_sync_to_async(call_handoff_request)(
            organization=organization,
            call=call,
            number=settings.handoff_number,
            reason=str(handoff.get("reason", "")) if isinstance(handoff, dict) else "",
            source="agent",
        )
        return dial_twiml(
            number=settings.handoff_number, text=reply.content, language=settings.language, voice=settings.say_voice
        )
    return gather_twiml(text=reply.content, action_url=next_url, settings=settings, goodbye=goodbye)
